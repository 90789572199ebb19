/*
 * overlay.h - a private, writable view over a read-only page source
 * (engine/overlay.c).
 *
 * A concurrent transaction changes B-tree pages in an overlay over its
 * snapshot: pages it writes are copied into memory only it sees, pages it
 * allocates are numbered past the snapshot's end, and pages it frees are
 * simply dropped. Its reads, cursors and constraint checks thereby see its
 * own changes through the ordinary B-tree code, and nothing reaches the
 * pager: at commit its row changes are replayed on the latest state and
 * the overlay is thrown away. The copies hold plaintext rows and are wiped
 * when freed.
 */
#ifndef SEALDB_OVERLAY_H
#define SEALDB_OVERLAY_H

#include <stdint.h>

#include "btree.h"

typedef struct overlay overlay;

/* An overlay over base (read-only; it must outlive the overlay). *src
 * becomes the writable source to hand to cursors. SEALDB_ENOMEM. */
int overlay_open(overlay **out, const btree_pages *base, btree_pages *src);
/* Wipes and frees every private page. */
void overlay_free(overlay *o);
/* Drops every private page: the view is the base again. */
void overlay_reset(overlay *o);
/* Private pages held now. */
uint32_t overlay_pages(const overlay *o);

#endif /* SEALDB_OVERLAY_H */
