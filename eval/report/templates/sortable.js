// Click a column header to sort by it (again to reverse); empty cells always sort last. Each row's key is read
// once per sort (not once per comparison), so thousands of rows sort in a blink.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var collator = new Intl.Collator();
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var numeric = th.dataset.type === "number";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var keyed = Array.prototype.map.call(body.rows, function (row) {
        var value = row.cells[column].dataset.value;
        var empty = value === undefined || value === "";
        return { row: row, empty: empty, key: numeric && !empty ? parseFloat(value) : value };
      });
      keyed.sort(function (a, b) {
        if (a.empty || b.empty) { return a.empty - b.empty; }
        var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
        return ascending ? order : -order;
      });
      var sorted = document.createDocumentFragment();
      keyed.forEach(function (entry) { sorted.appendChild(entry.row); });
      body.appendChild(sorted);
      table.dispatchEvent(new Event("sorted"));
    });
  });
});
