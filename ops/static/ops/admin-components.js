// The admin's Alpine components, registered by name so that Alpine's CSP build (which
// evaluates no strings as code) can use them: unfold's own (defined as plain functions in its
// app.js, which its templates call from x-data) and the page layout of our skeleton template.
document.addEventListener("alpine:init", () => {
  const Alpine = window.Alpine;
  for (const name of ["searchForm", "searchDropdown", "searchCommand"]) {
    Alpine.data(name, (...args) => window[name](...args));
  }
  // The page's root: unfold's theme, plus the functions its templates name in expressions.
  Alpine.data("theme", (...args) => ({
    ...window.theme(...args),
    getCurrentTab: window.getCurrentTab,
    sortRecords: window.sortRecords,
    moveRecords: window.moveRecords,
    // The change form posts to its own address (keeping the active tab): a copy of it, since
    // the CSP build lets no expression read a global object.
    window: { location: { pathname: window.location.pathname, search: window.location.search } },
  }));
  Alpine.data("layout", (primaryTab) => ({
    activeTab: primaryTab ? window.getCurrentTab() || primaryTab : "",
    sidebarMobileOpen: false,
    sidebarDesktopOpen: localStorage.getItem("sidebarDesktopOpen") !== "0",
    init() {
      this.$watch("sidebarDesktopOpen", (open) => localStorage.setItem("sidebarDesktopOpen", open ? "1" : "0"));
    },
  }));
});
