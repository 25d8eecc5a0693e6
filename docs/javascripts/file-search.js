// Opened from files (site/index.html), the theme's search cannot load its index: browsers
// refuse web workers and fetches on file:// pages. The search box says what gives it.
function explainSearch() {
  if (location.protocol !== "file:") return;
  const input = document.querySelector(".md-search__input");
  if (input) {
    input.placeholder = "Search needs a server: make docs-serve";
    input.title = "Run make docs-serve and open http://127.0.0.1:8001/";
  }
}
if (window.document$) {
  window.document$.subscribe(explainSearch);
} else {
  document.addEventListener("DOMContentLoaded", explainSearch);
}
