// The portal's tree: branches open and close; with the Organise permission, categories and
// articles are dragged by their handle, or moved with the "Move…" dialog each row's button
// opens, and the move is sent to the server, which answers 204 or says why not.
"use strict";
(() => {
  const tree = document.getElementById("portal-tree");
  if (!tree) return;
  const status = document.getElementById("tree-status");
  const base = tree.dataset.base || "";
  const query = new URLSearchParams((tree.dataset.query || "").replace(/^\?/, ""));
  const csrf = JSON.parse(document.querySelector(".portal").getAttribute("hx-headers"))["X-CSRF-Token"];
  const dialog = document.getElementById("move-dialog");
  const kindOf = (item) => (item.classList.contains("tree-article") ? "articles" : "categories");

  // Each row's "Move…" button is added as its list shows (none is in the page's HTML: a
  // large tree stays small, and a closed branch's rows cannot be reached anyway). Its name
  // says which row: "Move Installing…".
  const addMoveButtons = (list) => {
    if (!dialog) return;
    list.querySelectorAll(":scope > li.tree-item > .tree-row").forEach((row) => {
      if (row.querySelector(":scope > .tree-move")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.className = "secondary tree-move";
      button.setAttribute("aria-haspopup", "dialog");
      // The name starts with the visible "Move" (what a speech user says to press it).
      button.setAttribute("aria-label", `Move ${row.querySelector("a").textContent.trim()}…`);
      button.textContent = "Move…";
      row.append(button);
    });
  };
  // A list as it shows: its rows get their buttons and it takes drops.
  const showing = (list) => { addMoveButtons(list); sortable(list); };

  // Open a branch (its articles are fetched the first time); resolves once they are in.
  const openBranch = (button, open = true) => {
    button.setAttribute("aria-expanded", String(open));
    const inside = document.getElementById(button.getAttribute("aria-controls"));
    inside.hidden = !open;
    if (!open) return Promise.resolve();
    // Drag and drop is set up branch by branch as they open: a closed branch cannot take a
    // drop, and setting up all of a large tree's lists at load delays the first click.
    inside.querySelectorAll(":scope > ul").forEach(showing);
    // A branch's articles are fetched the first time it opens (one delegated handler rather
    // than htmx attributes on each of a large tree's buttons: the page stays small).
    const articles = inside.querySelector(":scope > ul.tree-articles");
    if (!articles || articles.dataset.asked) return Promise.resolve();
    articles.dataset.asked = "1";
    return loadArticles(articles);
  };
  // The fetched list replaces the empty one; a promise that settles once it is in place (and
  // its rows have their buttons), which the "Move…" dialog waits for to put the focus back.
  const loadArticles = async (placeholder) => {
    const url = `${base}/portal/tree/${placeholder.dataset.category}/articles?${query}`;
    let answer, html;
    try {
      answer = await fetch(url, { credentials: "same-origin", headers: { "HX-Request": "true" } });
      html = await answer.text();
    } catch (error) {
      delete placeholder.dataset.asked;  // opening the branch again tries again
      status.textContent = "The articles could not be fetched: the server could not be reached.";
      return;
    }
    if (!answer.ok) { status.textContent = "This category no longer exists. Reload the page."; return; }
    const fragment = document.createElement("template");
    fragment.innerHTML = html;  // the server's own HTML, escaped by Jinja
    // The placeholder's Sortable goes with it (a detached list would still take drops, and
    // lose them).
    const instance = window.Sortable && window.Sortable.get(placeholder);
    if (instance) instance.destroy();
    const list = fragment.content.querySelector("ul.tree-articles");
    placeholder.replaceWith(fragment.content);
    if (list && !list.closest("[hidden]")) showing(list);
  };

  tree.addEventListener("click", (event) => {
    const twisty = event.target.closest("button.twisty");
    if (twisty) openBranch(twisty, twisty.getAttribute("aria-expanded") !== "true");
    const mover = event.target.closest("button.tree-move");
    if (mover) openMove(mover);
  });

  const send = (url, form) => fetch(url, {
    method: "POST",
    body: form,
    headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
    credentials: "same-origin",
  });

  const move = async (item, list) => {
    const isArticle = list.classList.contains("tree-articles");
    const form = new URLSearchParams(query);
    form.set(isArticle ? "category" : "parent", isArticle ? list.dataset.category : list.dataset.parent);
    form.set("position", String([...list.children].indexOf(item) + 1));
    status.textContent = "Moving…";
    const answer = await send(`${base}/portal/${kindOf(item)}/${item.dataset.id}/move`, form);
    if (answer.ok) {
      status.textContent = "Moved.";
    } else {
      status.textContent = `Not moved: ${(await answer.text()).slice(0, 300)} Reloading the tree…`;
      window.setTimeout(() => window.location.reload(), 1500);
    }
  };

  const sortable = (list) => {
    if (!window.Sortable || tree.dataset.sortable !== "true" || list.dataset.sorting) return;
    list.dataset.sorting = "1";
    window.Sortable.create(list, {
      group: list.classList.contains("tree-articles") ? "articles" : "categories",
      handle: ".drag-handle",
      animation: 120,
      fallbackOnBody: true,
      swapThreshold: 0.6,
      onEnd: (event) => {
        if (event.from === event.to && event.oldIndex === event.newIndex) return;
        move(event.item, event.to);
      },
    });
  };
  tree.querySelectorAll(":scope > ul.tree-categories").forEach(showing);

  // --- the "Move…" dialog ---------------------------------------------------------------
  if (!dialog) return;
  const body = document.getElementById("move-body");
  let moving = null;  // {kind, id, button}: the row whose dialog is open
  let moved = false;

  const openMove = async (button) => {
    const item = button.closest("li.tree-item");
    moving = { kind: kindOf(item), id: item.dataset.id, button };
    moved = false;
    const answer = await fetch(`${base}/portal/${moving.kind}/${moving.id}/move?${query}`, {
      credentials: "same-origin", headers: { "HX-Request": "true" },
    });
    if (!answer.ok) {
      status.textContent = "This item no longer exists. Reloading the tree…";
      window.setTimeout(() => window.location.reload(), 1500);
      return;
    }
    body.innerHTML = await answer.text();  // the server's own HTML, escaped by Jinja
    dialog.showModal();
    body.querySelector("select").focus();
  };

  // A refusal shown next to the field it is about; the field says so to assistive technology.
  const refuse = (form, message) => {
    const field = /position/i.test(message) ? form.elements.position : form.querySelector("select");
    const problem = document.getElementById(`${field.id}-problem`);
    problem.textContent = message;
    problem.hidden = false;
    field.setAttribute("aria-invalid", "true");
    const described = (field.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
    if (!described.includes(problem.id)) described.push(problem.id);
    field.setAttribute("aria-describedby", described.join(" "));
    field.focus();
  };
  const clear = (form) => form.querySelectorAll(".field-problem").forEach((problem) => {
    problem.hidden = true;
    const field = document.getElementById(problem.id.replace(/-problem$/, ""));
    field.removeAttribute("aria-invalid");
    const described = (field.getAttribute("aria-describedby") || "").split(" ")
      .filter((id) => id && id !== problem.id);
    if (described.length) field.setAttribute("aria-describedby", described.join(" "));
    else field.removeAttribute("aria-describedby");
  });

  dialog.addEventListener("click", (event) => {
    if (event.target.closest("[data-close]")) dialog.close();
  });
  dialog.addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.target;
    clear(form);
    const destination = form.querySelector("select").value;
    const answer = await send(form.action, new URLSearchParams(new FormData(form))).catch(() => null);
    if (!answer) { refuse(form, "Not moved: the server could not be reached. Try again."); return; }
    if (!answer.ok) {
      const text = answer.status === 400 ? (await answer.text()).slice(0, 300) : "";
      refuse(form, text || "The move failed: the item may have been deleted. Close and reload the tree.");
      return;
    }
    moved = true;
    dialog.close();
    status.textContent = "Moved.";
    await refresh({ ...moving, destination });
  });
  // Escape, Cancel or a move: focus goes back to the row's button (after a move, to the
  // button of the row in its new place, once the tree is shown again).
  dialog.addEventListener("close", () => {
    if (!moved && moving && moving.button.isConnected) moving.button.focus();
  });

  // The tree as the server now has it, with the branches that were open, and the moved
  // item's branch, open again.
  const refresh = async (change) => {
    const open = [...tree.querySelectorAll("button.twisty[aria-expanded=true]")]
      .map((button) => button.closest("li.tree-item").dataset.id);
    const answer = await fetch(window.location.href, { credentials: "same-origin" });
    const page = new DOMParser().parseFromString(await answer.text(), "text/html");
    const fresh = page.getElementById("portal-tree");
    if (!answer.ok || !fresh) { window.location.reload(); return; }
    tree.querySelectorAll("ul[data-sorting]").forEach((list) => {
      const instance = window.Sortable && window.Sortable.get(list);
      if (instance) instance.destroy();
    });
    tree.replaceChildren(...fresh.childNodes);
    tree.querySelectorAll(":scope > ul.tree-categories").forEach(showing);
    const find = (id) => tree.querySelector(`li.tree-item[data-id="${CSS.escape(id)}"]`);
    const wanted = new Set(open);
    let place = find(change.kind === "articles" ? change.destination : change.id);
    if (change.kind === "articles" && place) wanted.add(place.dataset.id);
    for (place = place && place.parentElement.closest("li.tree-item"); place;
      place = place.parentElement.closest("li.tree-item")) wanted.add(place.dataset.id);
    const twisties = [...wanted].map(find).filter(Boolean)
      .map((item) => item.querySelector(":scope > .tree-row > button.twisty"));
    await Promise.all(twisties.map((twisty) => openBranch(twisty)));
    const item = find(change.id);
    const button = item && item.querySelector(":scope > .tree-row > .tree-move");
    if (button) button.focus();
  };
})();
