// Click a column header to sort by it (again to reverse); empty cells always sort last.
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var numeric = th.dataset.type === "number";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      rows.sort(function (a, b) {
        var x = a.cells[column].dataset.value, y = b.cells[column].dataset.value;
        var xEmpty = x === undefined || x === "", yEmpty = y === undefined || y === "";
        if (xEmpty || yEmpty) { return xEmpty - yEmpty; }
        var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
        return ascending ? order : -order;
      });
      var sorted = document.createDocumentFragment();
      rows.forEach(function (row) { sorted.appendChild(row); });
      body.appendChild(sorted);
      table.dispatchEvent(new Event("sorted"));
    });
  });
});
