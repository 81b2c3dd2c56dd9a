// The 调度表 page's print button (a file, not an inline handler: the CSP allows scripts from 'self' only).
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.addEventListener("click", () => window.print());
  }
});
