/* Client-side search and small-screen menu of the fallback web book.
   The index (window.PRR_SEARCH_INDEX, written by analysis.render into
   search-index.js) is loaded with a <script> tag, so search works offline and
   from file:// as well as from a web server. */
(function () {
  "use strict";

  var root = document.documentElement.getAttribute("data-root") || "./";

  /* menu toggle (small screens): Escape closes the drawer and gives focus back to the button */
  var toggle = document.querySelector(".nav-toggle");
  if (toggle) {
    var setOpen = function (open) {
      document.body.classList.toggle("nav-open", open);
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    };
    toggle.addEventListener("click", function () {
      setOpen(!document.body.classList.contains("nav-open"));
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && document.body.classList.contains("nav-open")) {
        setOpen(false);
        toggle.focus();
      }
    });
  }

  /* sections of a chapter in the contents: the button beside the chapter's link shows or hides them */
  Array.prototype.forEach.call(document.querySelectorAll(".toc-toggle"), function (button) {
    button.addEventListener("click", function () {
      var item = button.closest("li");
      var open = button.getAttribute("aria-expanded") !== "true";
      button.setAttribute("aria-expanded", open ? "true" : "false");
      item.classList.toggle("open", open);
      item.classList.toggle("closed", !open);
    });
  });

  var input = document.getElementById("search-input");
  var box = document.getElementById("search-results");
  var raw = window.PRR_SEARCH_INDEX || [];
  if (!input || !box) return;

  function fold(s) {
    return s.normalize("NFD").replace(/[\u0300-\u036f]/g, "").toLowerCase();
  }
  function esc(s) {
    return s.replace(/[&<>"]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c];
    });
  }

  var docs = raw.map(function (d) {
    return { d: d, title: fold(d.title), text: fold(d.text) };
  });

  /* A snippet around the first match, with every term highlighted. Folding
     keeps string length for the Latin letters the report uses, so positions in
     the folded text match the original. */
  function snippet(text, folded, terms) {
    var at = -1;
    for (var i = 0; i < terms.length && at < 0; i++) at = folded.indexOf(terms[i]);
    if (at < 0) at = 0;
    var start = Math.max(0, at - 60);
    var end = Math.min(text.length, at + 140);
    var piece = text.slice(start, end);
    var fpiece = folded.slice(start, end);
    var marks = [];
    terms.forEach(function (t) {
      var k = fpiece.indexOf(t);
      while (k >= 0) { marks.push([k, k + t.length]); k = fpiece.indexOf(t, k + t.length); }
    });
    marks.sort(function (a, b) { return a[0] - b[0]; });
    var out = "", pos = 0;
    marks.forEach(function (m) {
      if (m[0] < pos) return;
      out += esc(piece.slice(pos, m[0])) + "<mark>" + esc(piece.slice(m[0], m[1])) + "</mark>";
      pos = m[1];
    });
    out += esc(piece.slice(pos));
    return (start > 0 ? "… " : "") + out + (end < text.length ? " …" : "");
  }

  function search(q) {
    var terms = fold(q).split(/\s+/).filter(function (t) { return t.length > 1; });
    if (!terms.length) { box.innerHTML = ""; return; }
    var hits = [];
    docs.forEach(function (doc) {
      var score = 0;
      for (var i = 0; i < terms.length; i++) {
        var t = terms[i];
        var inTitle = doc.title.indexOf(t) >= 0;
        var inText = doc.text.indexOf(t) >= 0;
        if (!inTitle && !inText) return;
        score += (inTitle ? 10 : 0) + (inText ? 1 + Math.min(5, doc.text.split(t).length - 1) : 0);
      }
      hits.push({ doc: doc, score: score });
    });
    hits.sort(function (a, b) { return b.score - a.score; });
    if (!hits.length) {
      box.innerHTML = '<p class="r-none">Aucun résultat pour « ' + esc(q) + " ».</p>";
      return;
    }
    box.innerHTML = "<ol>" + hits.slice(0, 25).map(function (h) {
      var d = h.doc.d;
      var chapter = d.chapter !== d.title ? '<span class="r-chapter">' + esc(d.chapter) + "</span>" : "";
      return '<li><a href="' + esc(root + d.url) + '">' + chapter +
        '<span class="r-title">' + esc(d.title) + "</span>" +
        '<span class="r-snippet">' + snippet(d.text, h.doc.text, terms) + "</span></a></li>";
    }).join("") + "</ol>" +
      (hits.length > 25 ? '<p class="r-none">' + hits.length + " résultats, 25 affichés.</p>" : "");
  }

  var timer = null;
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { search(input.value); }, 120);
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter") {
      var first = box.querySelector("a");
      if (first) window.location.href = first.getAttribute("href");
    } else if (e.key === "Escape") {
      input.value = "";
      box.innerHTML = "";
    }
  });
  var params = new URLSearchParams(window.location.search);
  if (params.get("q")) { input.value = params.get("q"); search(input.value); }
})();
