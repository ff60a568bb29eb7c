// "Most read": the post page tells the server it was read, once, without
// delaying anything; the page itself may come from any cache.
document.querySelectorAll("[data-read-beacon]").forEach(function (element) {
  if (navigator.sendBeacon) {
    navigator.sendBeacon(element.dataset.readBeacon);
  }
});
