import { asc } from "drizzle-orm";
import type { CatalogDb } from "@/db/client";
import { cartridges, tapeLibraries } from "@/db/schema";

export function getTapeInventory(db: CatalogDb) {
  const libraries = db
    .select({
      id: tapeLibraries.id,
      name: tapeLibraries.name,
      driver: tapeLibraries.driver,
      slots: tapeLibraries.slots,
      drives: tapeLibraries.drives,
      mailSlots: tapeLibraries.mailSlots,
    })
    .from(tapeLibraries)
    .orderBy(asc(tapeLibraries.name))
    .all();
  const media = db
    .select({
      id: cartridges.id,
      libraryId: cartridges.libraryId,
      barcode: cartridges.barcode,
      state: cartridges.state,
      slot: cartridges.slot,
      capacityBytes: cartridges.capacityBytes,
      usedBytes: cartridges.usedBytes,
    })
    .from(cartridges)
    .orderBy(asc(cartridges.barcode))
    .all();
  return { libraries, media };
}
