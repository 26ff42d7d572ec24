// Tells the server the browser's time zone (the `time_zone` cookie), so that pages write times
// in it. When the page was written in another zone, it is loaded once more in the right one.
(function () {
  var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  // Zone names are letters, digits and / _ + -: a cookie value as they are.
  if (!/^[A-Za-z0-9\/_+-]+$/.test(zone)) return;
  var current = document.cookie.split("; ").find(function (c) { return c.indexOf("time_zone=") === 0; });
  if (current === "time_zone=" + zone) return;
  document.cookie = "time_zone=" + zone + "; path=/; max-age=31536000; samesite=lax";
  if (document.body.dataset.timeZone && document.body.dataset.timeZone !== zone) {
    window.location.reload();
  }
})();
