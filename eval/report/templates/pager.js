// Pages of a long table (table.paged, data-page-size rows a page) with a text filter: the rows live in an array
// (table.allRows, in the current order) and only the current page's rows are in the document, so thousands of
// videos lay out, paint and sort as one page. Until this runs, a CSS rule shows the first page. sortable.js
// orders table.allRows and fires "sorted": back to page 1.
document.querySelectorAll("table.paged").forEach(function (table) {
  var size = parseInt(table.dataset.pageSize, 10);
  var body = table.tBodies[0];
  var pager = document.querySelector('.pager[data-for="' + table.id + '"]');
  var filter = pager.querySelector("input.filter");
  var label = pager.querySelector(".page-label");
  var shown = [], page = 0;
  function text(row) {
    if (row._text === undefined) { row._text = row.textContent.toLowerCase(); }
    return row._text;
  }
  function render() {
    var pages = Math.max(1, Math.ceil(shown.length / size));
    page = Math.min(Math.max(page, 0), pages - 1);
    body.replaceChildren.apply(body, shown.slice(page * size, (page + 1) * size));
    label.textContent = "page " + (page + 1) + " of " + pages + " (" + shown.length + " of " +
      table.allRows.length + " videos" + (filter.value ? " match" : "") + ")";
    pager.querySelector(".prev").disabled = page === 0;
    pager.querySelector(".next").disabled = page >= pages - 1;
  }
  function refilter() {
    var query = filter.value.trim().toLowerCase();
    shown = query ? table.allRows.filter(function (row) { return text(row).indexOf(query) >= 0; }) : table.allRows;
    render();
  }
  table.allRows = Array.prototype.slice.call(body.rows);
  table.classList.remove("paged");  // only the page's rows are in the document from now on
  pager.querySelector(".prev").addEventListener("click", function () { page -= 1; render(); });
  pager.querySelector(".next").addEventListener("click", function () { page += 1; render(); });
  filter.addEventListener("input", function () { page = 0; refilter(); });
  table.addEventListener("sorted", function () { page = 0; refilter(); });
  refilter();
});
