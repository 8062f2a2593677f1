/* Lorebase offline documentation: the navigation tree and full-text search.
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
