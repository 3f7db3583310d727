import { view } from '@stepping/core'
import { silentMeters, topMeters } from '../synced'

// Client views over the synced collections, kept by the browser's store like any other view.

/** The week's top meters, in order (the synced collection holds them, unordered). */
export const topSorted = view('topSorted', topMeters.orderBy((m) => m.wh, 'desc'))

/** Silent meters by id. */
export const silentSorted = view('silentSorted', silentMeters.orderBy((m) => m.id))

export const clientViews = [topSorted, silentSorted]
