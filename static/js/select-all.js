// "Select all on this page": ticking the box ticks every row's box of its form, and
// unticking any row unticks it. Without JavaScript the box still works: the server
// reads it and takes every id on the page.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.form || box.type !== "checkbox") return;
  var name = box.getAttribute("data-select-all");
  if (name) {
    box.form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (row) {
      row.checked = box.checked;
    });
    return;
  }
  var all = box.form.querySelector('input[data-select-all="' + box.name + '"]');
  if (all && !box.checked) all.checked = false;
});
