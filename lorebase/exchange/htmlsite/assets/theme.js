/* The reader's light/dark choice, applied before the page is drawn (no flash of the other
   theme). Without a stored choice the page follows prefers-color-scheme. */
(function () {
  try {
    var theme = localStorage.getItem("lorebase-theme");
    if (theme === "dark" || theme === "light") document.documentElement.setAttribute("data-theme", theme);
  } catch (e) { /* storage refused (private mode, file:// in some browsers): follow the system */ }
})();
