/**
 * Every keyboard shortcut of the product, per page, as the "Keyboard shortcuts" dialog (press ?)
 * lists them. The handlers live with the pages (studio form, library, board canvas, item page);
 * this is the one list a person reads, so a shortcut added there is added here.
 */
export interface Shortcut {
  /** Alternatives (e.g. Ctrl+Enter or ⌘+Enter), each a key combination. */
  keys: string[][];
  does: string;
}
export interface ShortcutGroup {
  title: string;
  shortcuts: Shortcut[];
}

const mod = (k: string) => [
  ['Ctrl', k],
  ['⌘', k],
];

export const GLOBAL_SHORTCUTS: ShortcutGroup = {
  title: 'Everywhere',
  shortcuts: [
    { keys: [['?']], does: 'Show the keyboard shortcuts of this page' },
    { keys: [['Esc']], does: 'Close a dialog, menu or notification' },
    { keys: [['Tab'], ['Shift', 'Tab']], does: 'Move to the next or previous control' },
  ],
};

export const STUDIO_SHORTCUTS: ShortcutGroup[] = [
  {
    title: 'Studio',
    shortcuts: [
      { keys: [['/']], does: 'Go to the prompt' },
      { keys: mod('Enter'), does: 'Generate (in the prompt)' },
      { keys: [['Ctrl', 'V']], does: 'Paste an image as a reference (in the form)' },
      { keys: [['←'], ['→']], does: 'Choose another kind, aspect ratio or number of outputs (in a group of options)' },
    ],
  },
];

export const LIBRARY_SHORTCUTS: ShortcutGroup[] = [
  {
    title: 'Library',
    shortcuts: [
      { keys: [['/']], does: 'Search the library' },
      { keys: [['Space']], does: 'Select or unselect the focused item (on its checkbox)' },
      { keys: [['Enter']], does: 'Open the focused item' },
      { keys: [['↓'], ['↑']], does: 'Move through an item’s “More actions” menu' },
    ],
  },
];

export const ITEM_SHORTCUTS: ShortcutGroup[] = [
  {
    title: 'Library item',
    shortcuts: [{ keys: [['Esc']], does: 'Back to the library' }],
  },
];

export const BOARD_SHORTCUTS: ShortcutGroup[] = [
  {
    title: 'Board (with the board focused)',
    shortcuts: [
      { keys: [['N']], does: 'Add a note' },
      { keys: [['Enter']], does: 'Edit the selected note' },
      { keys: mod('Enter'), does: 'Finish editing a note' },
      { keys: [['Esc']], does: 'Stop editing, or clear the selection' },
      { keys: mod('A'), does: 'Select everything' },
      { keys: [['Delete'], ['Backspace']], does: 'Remove the selection' },
      { keys: [['←', '↑', '→', '↓']], does: 'Move the selection (with Shift: further)' },
      { keys: [['Alt', '←', '↑', '→', '↓']], does: 'Resize the selection (with Shift: finer)' },
      { keys: [[']'], ['[']], does: 'Bring the selection to the front, or send it to the back' },
      { keys: [['+'], ['-']], does: 'Zoom in or out' },
      { keys: [['0']], does: 'Reset the zoom and position' },
      { keys: [['Space', 'drag']], does: 'Pan the board' },
      { keys: mod('Z'), does: 'Undo your last change' },
      { keys: [['Ctrl', 'Shift', 'Z'], ['Ctrl', 'Y'], ['⌘', 'Shift', 'Z']], does: 'Redo' },
    ],
  },
];
