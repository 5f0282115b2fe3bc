// Pages of a long table (table.paged, data-page-size rows a page) with a text filter: only the rows of the
// current page are displayed, so a page of thousands of videos lays out and paints one page. Until this runs,
// a CSS rule shows the first page. Sorting (sortable.js) reorders every row, then fires "sorted": back to page 1.
document.querySelectorAll("table.paged").forEach(function (table) {
  var size = parseInt(table.dataset.pageSize, 10);
  var body = table.tBodies[0];
  var pager = document.querySelector('.pager[data-for="' + table.id + '"]');
  var filter = pager.querySelector("input.filter");
  var label = pager.querySelector(".page-label");
  var rows = [], shown = [], visible = [], page = 0;
  function text(row) {
    if (row._text === undefined) { row._text = row.textContent.toLowerCase(); }
    return row._text;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    visible.forEach(function (row) { row.hidden = true; });
    visible = shown.slice(page * size, (page + 1) * size);
    visible.forEach(function (row) { row.hidden = false; });
    label.textContent = "page " + (page + 1) + " of " + pages + " (" + shown.length + " of " + rows.length +
      " videos" + (filter.value ? " match" : "") + ")";
    pager.querySelector(".prev").disabled = page === 0;
    pager.querySelector(".next").disabled = page >= pages - 1;
  }
  function refilter() {
    var query = filter.value.trim().toLowerCase();
    rows = Array.prototype.slice.call(body.rows);
    shown = query ? rows.filter(function (row) { return text(row).indexOf(query) >= 0; }) : rows;
    render();
  }
  Array.prototype.forEach.call(body.rows, function (row, i) { row.hidden = i >= size; });
  visible = Array.prototype.slice.call(body.rows, 0, size);
  table.classList.remove("paged");  // the rows' hidden flags take over from the CSS rule
  pager.querySelector(".prev").addEventListener("click", function () { page -= 1; render(); });
  pager.querySelector(".next").addEventListener("click", function () { page += 1; render(); });
  filter.addEventListener("input", function () { page = 0; refilter(); });
  table.addEventListener("sorted", function () { page = 0; refilter(); });
  refilter();
});
