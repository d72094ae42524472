// jsdom lacks DragEvent, which @lumino/dragdrop references at import time.
if (typeof (globalThis as any).DragEvent === 'undefined') {
  (globalThis as any).DragEvent = class DragEvent extends MouseEvent {};
}
