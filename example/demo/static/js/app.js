// Says it ran: the integrity page shows it.
document.documentElement.dataset.scriptRan = "yes";
// Ask the server for each asset's headers, so the page shows how it is cached.
document.querySelectorAll("tr[data-url]").forEach(async (row) => {
  const response = await fetch(row.dataset.url, { method: "HEAD", cache: "no-store" });
  row.querySelector(".status").textContent = response.status;
  row.querySelector(".cache code").textContent = response.headers.get("Cache-Control") || "(none)";
});
