// Network pickers: <select data-navigate> goes to the chosen option's URL. Bound here rather
// than by an inline onchange attribute, which the Content-Security-Policy forbids.
document.querySelectorAll("select[data-navigate]").forEach((select) => {
  select.addEventListener("change", () => { window.location.href = select.value; });
});
