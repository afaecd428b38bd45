// One time base (the same rule as apps/common/clock.py, server side): a time in the reader's
// zone (json_script "clock-zone", set per user), 24-hour, "14:05" today and "12 Aug 14:05" on
// another day. Pages call window.Clock.format(iso); <time datetime> elements carrying
// data-clock are rewritten with it when the page loads and by pages after a swap.
(function () {
  const source = document.getElementById("clock-zone");
  const zone = source ? JSON.parse(source.textContent) : "Europe/London";
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "numeric", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  });

  function fields(date) {
    const out = {};
    for (const p of parts.formatToParts(date)) out[p.type] = p.value;
    return out;
  }

  function format(iso, options = {}) {
    if (!iso) return "";
    const date = iso instanceof Date ? iso : new Date(iso);
    if (Number.isNaN(date.getTime())) return "";
    const f = fields(date), today = fields(new Date());
    const pad = (v) => String(parseInt(v, 10)).padStart(2, "0");
    let text = `${pad(f.hour)}:${pad(f.minute)}`;
    if (options.seconds) text += `:${pad(f.second)}`;
    if (f.year === today.year && f.month === today.month && f.day === today.day) return text;
    return `${parseInt(f.day, 10)} ${MONTHS[parseInt(f.month, 10) - 1]} ${text}`;
  }

  function rewrite(scope) {
    (scope || document).querySelectorAll("time[datetime][data-clock]").forEach((el) => {
      el.textContent = format(el.dateTime, { seconds: el.dataset.clock === "s" });
    });
  }

  window.Clock = { zone, format, rewrite };
  document.addEventListener("DOMContentLoaded", () => rewrite(document));
})();
