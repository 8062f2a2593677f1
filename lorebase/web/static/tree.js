// The portal's tree: branches open and close; with the Organise permission, categories and
// articles are dragged by their handle and the move is sent to the server, which answers 204
// or says why not (the tree is then reloaded as the server has it).
"use strict";
(() => {
  const tree = document.getElementById("portal-tree");
  if (!tree) return;
  const status = document.getElementById("tree-status");
  const base = tree.dataset.base || "";
  const query = new URLSearchParams((tree.dataset.query || "").replace(/^\?/, ""));
  const csrf = JSON.parse(document.querySelector(".portal").getAttribute("hx-headers"))["X-CSRF-Token"];

  tree.addEventListener("click", (event) => {
    const button = event.target.closest("button.twisty");
    if (!button) return;
    const open = button.getAttribute("aria-expanded") !== "true";
    button.setAttribute("aria-expanded", String(open));
    const inside = document.getElementById(button.getAttribute("aria-controls"));
    inside.hidden = !open;
    // A branch's articles are fetched the first time it opens (one delegated handler rather
    // than htmx attributes on each of a large tree's buttons: the page stays small).
    const articles = inside.querySelector(":scope > ul.tree-articles");
    if (open && articles && !articles.dataset.asked) {
      articles.dataset.asked = "1";
      const id = articles.dataset.category;
      window.htmx.ajax("GET", `${base}/portal/tree/${id}/articles?${query}`, {
        target: `#a-${CSS.escape(id)}`, swap: "outerHTML",
      });
    }
    // Drag and drop is set up branch by branch as they open: a closed branch cannot take a
    // drop, and setting up all of a large tree's lists at load delays the first click.
    if (open) inside.querySelectorAll(":scope > ul").forEach(sortable);
  });

  const move = async (item, list) => {
    const isArticle = list.classList.contains("tree-articles");
    const form = new URLSearchParams(query);
    form.set(isArticle ? "category" : "parent", isArticle ? list.dataset.category : list.dataset.parent);
    form.set("position", String([...list.children].indexOf(item) + 1));
    const kind = isArticle ? "articles" : "categories";
    status.textContent = "Moving…";
    const answer = await fetch(`${base}/portal/${kind}/${item.dataset.id}/move`, {
      method: "POST",
      body: form,
      headers: { "X-CSRF-Token": csrf, "HX-Request": "true" },
      credentials: "same-origin",
    });
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
  tree.querySelectorAll(":scope > ul.tree-categories").forEach(sortable);
  // A branch's articles arrive after it opened: their list replaces the placeholder, whose
  // Sortable must go with it (a detached list would still take drops, and lose them).
  document.body.addEventListener("htmx:beforeSwap", (event) => {
    const placeholder = event.detail.target;
    const instance = window.Sortable && placeholder && window.Sortable.get(placeholder);
    if (instance) instance.destroy();
  });
  document.body.addEventListener("htmx:afterSwap", () => {
    tree.querySelectorAll("ul.tree-articles:not([data-sorting])").forEach((articles) => {
      if (!articles.closest("[hidden]")) sortable(articles);
    });
  });
})();
