/* Lorebase documentation: the parts shared by the live site and the offline export. */
(function () {
  "use strict";
  var root = document.documentElement;

  /* Light/dark toggle: the stored choice wins over prefers-color-scheme (theme.js applies it
     before the page is drawn). */
  var toggle = document.getElementById("theme-toggle");
  if (toggle) {
    var dark = function () {
      var chosen = root.getAttribute("data-theme");
      if (chosen) return chosen === "dark";
      return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches;
    };
    toggle.hidden = false;
    toggle.setAttribute("aria-pressed", String(dark()));
    toggle.addEventListener("click", function () {
      var next = dark() ? "light" : "dark";
      root.setAttribute("data-theme", next);
      toggle.setAttribute("aria-pressed", String(next === "dark"));
      try { localStorage.setItem("lorebase-theme", next); } catch (e) { /* kept for this page */ }
    });
  }

  /* The live site's tree: the current branch comes with the page; other branches are HTML
     fragments fetched when opened. */
  var tree = document.getElementById("tree");
  if (tree) {
    tree.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-children]") : null;
      if (!button) return;
      var item = button.parentNode;
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", String(open));
      var sub = item.querySelector(":scope > ul");
      if (sub) { sub.hidden = !open; return; }
      if (!open || button.getAttribute("data-loading")) return;
      button.setAttribute("data-loading", "1");
      fetch(button.getAttribute("data-children"), { credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : ""; })
        .then(function (fragment) {
          button.removeAttribute("data-loading");
          if (!fragment) return;
          var holder = document.createElement("div");
          holder.innerHTML = fragment; /* our own server's HTML, escaped there */
          var list = holder.querySelector("ul");
          if (list) item.appendChild(list);
        });
    });
  }

  /* Suggestions while typing (the search form works without them). */
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  if (input && results && input.getAttribute("data-suggest")) {
    var timer = null, asked = 0;
    var marked = function (holder, snippet) {
      /* The server's snippet is escaped text with <em> around matches: rebuilt as nodes. */
      snippet.split(/(<em>|<\/em>)/).reduce(function (inside, part) {
        if (part === "<em>") return true;
        if (part === "</em>") return false;
        var text = document.createElement("textarea");
        text.innerHTML = part;
        var value = document.createTextNode(text.value);
        if (inside) { var em = document.createElement("em"); em.appendChild(value); holder.appendChild(em); }
        else holder.appendChild(value);
        return inside;
      }, false);
    };
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var query = input.value.trim();
        var number = ++asked;
        if (!query) { results.hidden = true; results.textContent = ""; return; }
        fetch(input.getAttribute("data-suggest") + "&q=" + encodeURIComponent(query), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { hits: [] }; })
          .then(function (found) {
            if (number !== asked) return; /* a later keystroke's answer wins */
            results.textContent = "";
            (found.hits || []).forEach(function (hit) {
              var item = document.createElement("li");
              var link = document.createElement("a");
              link.href = hit.href;
              link.textContent = hit.title;
              item.appendChild(link);
              if (hit.path) {
                var path = document.createElement("span");
                path.className = "path muted";
                path.textContent = " " + hit.path;
                item.appendChild(path);
              }
              if (hit.snippet) {
                var excerpt = document.createElement("span");
                excerpt.className = "excerpt";
                marked(excerpt, hit.snippet);
                item.appendChild(excerpt);
              }
              results.appendChild(item);
            });
            if (!results.firstChild && found.none) {
              var none = document.createElement("li");
              none.className = "muted";
              none.textContent = found.none;
              results.appendChild(none);
            }
            results.hidden = !results.firstChild;
          });
      }, 120);
    });
  }

  /* Feedback: the reason and comment are asked only after "No". */
  Array.prototype.forEach.call(document.querySelectorAll(".feedback form"), function (form) {
    var more = form.querySelector(".feedback-more");
    if (!more) return;
    var update = function () {
      var no = form.querySelector('input[name="helpful"][value="no"]');
      more.hidden = !(no && no.checked);
    };
    form.addEventListener("change", update);
    update();
  });
})();

/* Offline export: the navigation tree and full-text search.
   Both read data that tree.js and search.js assign to globals: browsers refuse fetch() on
   file:// pages, but load scripts. */
(function () {
  "use strict";
  var here = decodeURIComponent(location.pathname.split("/").pop() || "index.html");

  function fold(text) {
    return text.normalize("NFKD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function el(tag, text) {
    var node = document.createElement(tag);
    if (text) node.textContent = text;
    return node;
  }

  /* The tree: [title, href, children] nodes. Only the branch leading to this page is
     expanded; other branches are built when opened, so a page of a 10,000-article site stays
     light. */
  var nav = document.getElementById("tree");
  var tree = window.LOREBASE_TREE;
  if (nav && tree && !nav.hasAttribute("data-static")) {
    var open = [];
    (function find(nodes, trail) {
      for (var i = 0; i < nodes.length; i++) {
        var node = nodes[i];
        if (node[1] === here) { open = trail.concat([node]); return true; }
        if (node[2] && find(node[2], trail.concat([node]))) return true;
      }
      return false;
    })(tree.nodes, []);
    var build = function (nodes) {
      var list = el("ul");
      nodes.forEach(function (node) {
        var item = el("li");
        var children = node[2];
        var expanded = open.indexOf(node) >= 0;
        var sub = null;
        if (children && children.length) {
          var toggle = el("button", expanded ? "▾" : "▸");
          toggle.type = "button";
          toggle.setAttribute("aria-expanded", String(expanded));
          toggle.addEventListener("click", function () {
            var now = toggle.getAttribute("aria-expanded") !== "true";
            toggle.setAttribute("aria-expanded", String(now));
            toggle.textContent = now ? "▾" : "▸";
            if (!sub) { sub = build(children); item.appendChild(sub); }
            sub.hidden = !now;
          });
          item.appendChild(toggle);
        }
        if (node[1]) {
          var link = el("a", node[0]);
          link.href = node[1];
          if (node[1] === here) link.setAttribute("aria-current", "page");
          item.appendChild(link);
        } else {
          item.appendChild(el("span", node[0])).className = "label";
        }
        if (expanded && children && children.length) {
          sub = build(children);
          item.appendChild(sub);
        }
        list.appendChild(item);
      });
      return list;
    };
    nav.appendChild(build(tree.nodes));
  }

  /* Search: a prebuilt inverted index. `terms` maps a folded word to the delta-encoded,
     ascending numbers of the documents holding it; `docs` holds [title, href, excerpt]. Every
     word of the query must match a word of the document by prefix; title hits rank first. */
  var input = document.getElementById("search");
  var results = document.getElementById("search-results");
  var index = window.LOREBASE_SEARCH;
  if (!input || !results || !index) return;
  var words = Object.keys(index.terms);
  var decoded = {};
  function postings(word) {
    if (!decoded[word]) {
      var deltas = index.terms[word], out = [], at = 0;
      for (var i = 0; i < deltas.length; i++) { at += deltas[i]; out.push(at); }
      decoded[word] = out;
    }
    return decoded[word];
  }
  function matching(token) {
    var found = new Set();
    for (var i = 0; i < words.length; i++) {
      if (words[i].lastIndexOf(token, 0) === 0) postings(words[i]).forEach(function (d) { found.add(d); });
    }
    return found;
  }
  function search(query) {
    var tokens = fold(query).match(/[\p{L}\p{N}_]+/gu) || [];
    if (!tokens.length) return [];
    var hits = null;
    tokens.forEach(function (token) {
      var found = matching(token);
      hits = hits === null ? found : new Set(Array.from(hits).filter(function (d) { return found.has(d); }));
    });
    return Array.from(hits).map(function (d) {
      var title = fold(index.docs[d][0]);
      var score = tokens.filter(function (t) { return title.indexOf(t) >= 0; }).length;
      return [score, d];
    }).sort(function (a, b) { return b[0] - a[0] || a[1] - b[1]; }).slice(0, 30);
  }
  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var found = search(input.value);
      results.textContent = "";
      results.hidden = input.value.trim() === "";
      if (!found.length && !results.hidden) {
        results.appendChild(el("li", index.none)).className = "muted";
      }
      found.forEach(function (hit) {
        var doc = index.docs[hit[1]];
        var item = el("li");
        var link = el("a", doc[0]);
        link.href = doc[1];
        item.appendChild(link);
        if (doc[2]) item.appendChild(el("span", doc[2])).className = "excerpt";
        results.appendChild(item);
      });
    }, 60);
  });
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter") {
      var first = results.querySelector("a");
      if (first) location.href = first.href;
    }
  });
})();
