/* MathJax 2 -> 3 bridge for the ipywidgets HTML manager (copied to _vendor/widgets/ by
 * scripts/vendor_assets.sh, loaded just before embed.js: see nb_ipywidgets_js in _config.yml).
 *
 * @jupyter-widgets/html-manager 1.0.6 typesets each widget label with MathJax 2's API,
 * MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]), whenever window.MathJax exists. The
 * book loads MathJax 3, which has no Hub: the call throws ("reading 'Queue'") and the widget
 * is not drawn. This gives every object that window.MathJax holds (first MathJax 3's
 * configuration, then MathJax 3 itself, which replaces it) the one Hub method the manager
 * calls, mapped onto MathJax 3's typesetPromise.
 */
(function () {
  "use strict";

  function typeset(element) {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise && mj.typesetPromise) {
      mj.startup.promise
        .then(function () { return mj.typesetPromise([element]); })
        .catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
    }
    // Otherwise MathJax 3 has not started yet: its first pass typesets the whole page,
    // widget labels included.
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset" && job[2]) typeset(job[2]);
      }
    }
  };

  function withHub(value) {
    if (value && typeof value === "object" && !value.Hub) value.Hub = hub;
    return value;
  }

  var current = withHub(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    enumerable: true,
    get: function () { return current; },
    set: function (value) { current = withHub(value); }
  });
})();
