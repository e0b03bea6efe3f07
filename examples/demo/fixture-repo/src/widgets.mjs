// Widget catalogue helpers (demo fixture: pageOf is still a stub the workers must write).

/** The catalogue, in display order. */
export const WIDGETS = ['sprocket', 'gizmo', 'doohickey', 'gadget', 'thingamajig'];

/** Returns the items on 1-based page `page` when showing `size` items per page. */
export function pageOf(items, page, size) {
  throw new Error('pageOf is not implemented yet');
}
