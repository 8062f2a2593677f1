// The portal's shared behaviour. Everything works without it (plain forms and links);
// this adds confirmations and keeps htmx's requests carrying the page's CSRF token.
"use strict";
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement && form.dataset.confirm;
  if (question && !window.confirm(question)) event.preventDefault();
});
