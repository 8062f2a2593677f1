// The editor: a Markdown toolbar, the merge-code picker (a dialog, also opened by typing
// "{{"), images pasted or dropped into the text uploaded to Drive and linked, and autosave.
// The form works without any of it: "Save draft" posts the text, the preview updates by htmx.
"use strict";
(() => {
  const form = document.getElementById("editor-form");
  const text = document.getElementById("content");
  if (!form || !text) return;
  const status = document.getElementById("save-status");
  const base = document.getElementById("base");
  const csrf = form.querySelector("input[name=csrf_token]").value;
  const say = (message) => { status.textContent = message; };

  // Insert `before` + selection (or `empty`) + `after`, keeping the selection inside.
  const wrap = (before, after = "", empty = "") => {
    const { selectionStart: start, selectionEnd: end, value } = text;
    const inner = value.slice(start, end) || empty;
    text.setRangeText(before + inner + after, start, end, "end");
    text.setSelectionRange(start + before.length, start + before.length + inner.length);
    text.focus();
    text.dispatchEvent(new Event("input", { bubbles: true }));
  };
  const line = (prefix, empty) => {
    const at = text.value.lastIndexOf("\n", text.selectionStart - 1) + 1;
    text.setSelectionRange(at, at);
    wrap(prefix, "", text.selectionStart === text.selectionEnd ? "" : empty);
  };
  const actions = {
    bold: () => wrap("**", "**", "bold text"),
    italic: () => wrap("_", "_", "italic text"),
    heading: () => line("## ", ""),
    link: () => wrap("[", "](https://)", "link text"),
    list: () => line("- ", ""),
    code: () => wrap("\n```\n", "\n```\n", "code"),
    table: () => wrap("\n| Column | Column |\n| --- | --- |\n| ", " | |\n", "cell"),
  };
  const toolbar = form.querySelector("[role=toolbar]");
  if (toolbar) {
    toolbar.hidden = false;
    toolbar.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-md]");
      if (button) actions[button.dataset.md]();
    });
  }

  // Merge codes: the list comes from the server, filtered as the author types.
  const dialog = document.getElementById("codes-dialog");
  const filter = document.getElementById("codes-filter");
  const list = document.getElementById("codes-list");
  let typedBraces = false;
  // Where the author was typing when the picker opened: closing a modal dialog puts the caret
  // at the start of the text in Chromium, so it is put back (keyboard users keep their place).
  let caret = [0, 0];
  // One fetch per keystroke, and answers can come back out of order: only the answer to the
  // newest query may fill the list, and Enter waits for it (else a late answer to "Picker"
  // would replace the list of "PickerRel" and Enter would take the wrong code).
  let asked = 0;
  let filling = Promise.resolve();
  const fetchCodes = async () => {
    const ticket = ++asked;
    const url = new URL(form.dataset.codes, window.location.href);
    url.searchParams.set("q", filter.value);
    const answer = await fetch(url, { credentials: "same-origin" });
    const codes = answer.ok ? await answer.json() : [];
    if (ticket !== asked) return;
    list.replaceChildren(...codes.map((code, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.id = `code-${index}`;
      item.tabIndex = -1;
      item.dataset.code = code.code;
      const name = document.createElement("strong");
      name.textContent = `${code.kind}.${code.name}`;
      const preview = document.createElement("span");
      preview.className = "muted";
      preview.textContent = ` ${code.preview || ""}`;  // text, never HTML
      item.append(name, preview);
      return item;
    }));
    if (!codes.length) {
      const none = document.createElement("li");
      none.textContent = "No merge code matches.";
      list.replaceChildren(none);
    }
  };
  const fill = () => { filling = fetchCodes().catch(() => {}); return filling; };
  const choose = (item) => {
    if (!item || !item.dataset.code) return;
    dialog.close();
    text.setSelectionRange(caret[0], caret[1]);
    // "{{" typed in the text: replace those two braces with the whole code.
    if (typedBraces && text.value.slice(text.selectionStart - 2, text.selectionStart) === "{{") {
      text.setRangeText("", text.selectionStart - 2, text.selectionStart, "end");
    }
    typedBraces = false;
    wrap(item.dataset.code);
    caret = [text.selectionStart, text.selectionEnd];
  };
  const openCodes = (fromBraces) => {
    typedBraces = fromBraces;
    caret = [text.selectionStart, text.selectionEnd];
    filter.value = "";
    fill();
    dialog.showModal();
    filter.focus();
  };
  if (dialog) {
    document.getElementById("codes-button").addEventListener("click", () => openCodes(false));
    document.getElementById("codes-close").addEventListener("click", () => dialog.close());
    filter.addEventListener("input", fill);
    list.addEventListener("click", (event) => choose(event.target.closest("li")));
    filter.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") { event.preventDefault(); list.querySelector("li")?.focus(); }
      if (event.key === "Enter") {
        event.preventDefault();
        filling.then(() => choose(list.querySelector("li")));
      }
    });
    list.addEventListener("keydown", (event) => {
      const item = event.target.closest("li");
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); choose(item); }
      if (event.key === "ArrowDown") { event.preventDefault(); item.nextElementSibling?.focus(); }
      if (event.key === "ArrowUp") {
        event.preventDefault();
        (item.previousElementSibling || filter).focus();
      }
    });
    dialog.addEventListener("close", () => {
      text.focus();
      text.setSelectionRange(caret[0], caret[1]);
    });
    text.addEventListener("input", (event) => {
      if (event.data === "{" && text.value.slice(text.selectionStart - 2, text.selectionStart) === "{{") {
        openCodes(true);
      }
    });
  }

  // Images pasted or dropped: uploaded to Drive, linked where the cursor is.
  const upload = async (file) => {
    say(`Uploading ${file.name || "the image"}…`);
    const body = new FormData();
    body.append("file", file, file.name || "pasted-image.png");
    const answer = await fetch(form.dataset.upload, {
      method: "POST", body, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin",
    });
    const result = await answer.json().catch(() => ({ error: "The upload failed." }));
    if (!answer.ok) { say(`Not uploaded: ${result.error || answer.status}`); return; }
    wrap(`${result.markdown}\n`);
    say(`Uploaded ${result.name}.`);
  };
  const images = (items) => [...items].filter((file) => file.type && file.type.startsWith("image/"));
  text.addEventListener("paste", (event) => {
    const files = images(event.clipboardData ? event.clipboardData.files : []);
    if (!files.length) return;
    event.preventDefault();
    files.forEach(upload);
  });
  text.addEventListener("dragover", (event) => event.preventDefault());
  text.addEventListener("drop", (event) => {
    const files = images(event.dataTransfer ? event.dataTransfer.files : []);
    if (!files.length) return;
    event.preventDefault();
    files.forEach(upload);
  });

  // Autosave: a few seconds after the last change, as a draft revision; a save based on an
  // older revision than the stored one is refused (409) and the author is told.
  const AUTOSAVE_MS = 3000;
  let timer = 0, dirty = false, saving = false, stopped = false;
  const autosave = async () => {
    if (!dirty || saving || stopped) return;
    saving = true; dirty = false;
    say("Saving…");
    const body = new FormData(form);
    body.delete("then");
    try {
      const answer = await fetch(form.dataset.save, {
        method: "POST", body, headers: { "Accept": "application/json", "X-CSRF-Token": csrf },
        credentials: "same-origin",
      });
      const result = await answer.json();
      if (answer.ok) {
        base.value = result.stamp;
        say(`Draft saved (version ${result.version}) at ${new Date(result.saved_at).toLocaleTimeString()}.`);
      } else if (answer.status === 409) {
        stopped = true;
        say("Someone else saved this page meanwhile. Autosave is off: use “Save draft” to compare the two versions.");
      } else {
        dirty = true;
        say(`Not saved: ${result.error}`);
      }
    } catch (error) {
      dirty = true;
      say("Not saved: the server could not be reached. Trying again shortly.");
    } finally {
      saving = false;
      if (dirty && !stopped) timer = window.setTimeout(autosave, AUTOSAVE_MS);
    }
  };
  const changed = () => {
    dirty = true;
    window.clearTimeout(timer);
    timer = window.setTimeout(autosave, AUTOSAVE_MS);
  };
  if (base.value) {  // a language not started yet is saved by hand, once
    text.addEventListener("input", changed);
    document.getElementById("title").addEventListener("input", changed);
  }
  form.addEventListener("submit", () => { stopped = true; window.clearTimeout(timer); });
})();
