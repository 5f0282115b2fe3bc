// Click a column header to sort by it (again to reverse); empty cells always sort last. Each row's key is read
// once per sort (not once per comparison); a paged table's rows (table.allRows, pager.js) are sorted in their array.
document.querySelectorAll("table.sortable").forEach(function (table) {
  var collator = new Intl.Collator();
  table.querySelectorAll("thead th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var numeric = th.dataset.type === "number";
      var ascending = th.getAttribute("aria-sort") !== "ascending";
      table.querySelectorAll("thead th").forEach(function (other) { other.removeAttribute("aria-sort"); });
      th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
      var body = table.tBodies[0];
      var keyed = (table.allRows || Array.prototype.slice.call(body.rows)).map(function (row) {
        var value = row.cells[column].dataset.value;
        var empty = value === undefined || value === "";
        return { row: row, empty: empty, key: numeric && !empty ? parseFloat(value) : value };
      });
      keyed.sort(function (a, b) {
        if (a.empty || b.empty) { return a.empty - b.empty; }
        var order = numeric ? a.key - b.key : collator.compare(a.key, b.key);
        return ascending ? order : -order;
      });
      var rows = keyed.map(function (entry) { return entry.row; });
      if (table.allRows) {  // a paged table (pager.js) shows the new order's first page
        table.allRows = rows;
      } else {
        var sorted = document.createDocumentFragment();
        rows.forEach(function (row) { sorted.appendChild(row); });
        body.appendChild(sorted);
      }
      table.dispatchEvent(new Event("sorted"));
    });
  });
});
