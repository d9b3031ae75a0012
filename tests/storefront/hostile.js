// A shop's script at its worst, run before any widget: what a widget would lean on is broken.
Array.prototype.map = function () { throw new Error("Array.prototype.map is broken on this shop"); };
window.fetch = function () { throw new Error("fetch is broken on this shop"); };
