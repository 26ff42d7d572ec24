// The ALTCHA widget (the npm package, copied to altcha/) on Connect's pages. Its external build
// brings no workers, so its own SHA worker is served from this origin (the page's policy allows
// scripts and workers of this origin only); its words come from Connect's catalog.
// Runs after the widget's translations, which create $altcha, and before the widget itself.
(function () {
  "use strict";
  const script = document.currentScript;
  const language = document.documentElement.lang;
  const altcha = globalThis.$altcha;
  altcha.algorithms.set("SHA-256", () => new Worker(script.dataset.worker));
  // After the widget has loaded, which sets its English words as it does.
  document.addEventListener("DOMContentLoaded", () => {
    altcha.i18n.set(language, { ...altcha.i18n.get(language), ...JSON.parse(script.dataset.strings) });
  });
})();
