#!/usr/bin/python3
"""Compares the cells of two rasters on the same grid, band by band, in strips of rows.

    bench/compare.py REFERENCE.tif OTHER.tif [TOLERANCE]

Prints one line: cells compared, cells that differ (by more than TOLERANCE, default 0), the largest absolute
difference, and the mean absolute difference (NoData and NaN cells equal each other; a NoData cell against
data counts as differing).
Needs Debian's python3-gdal (GDAL's Python bindings and numpy)."""
import sys

import numpy as np
from osgeo import gdal

gdal.UseExceptions()


def main(ref_path, other_path, tolerance="0"):
    tol = float(tolerance)
    ref, other = gdal.Open(ref_path), gdal.Open(other_path)
    if (ref.RasterXSize, ref.RasterYSize, ref.RasterCount) != (other.RasterXSize, other.RasterYSize, other.RasterCount):
        sys.exit(f"{other_path}: another size or band count than {ref_path}")
    cells = differing = 0
    largest = total = 0.0
    rows = 512
    for b in range(1, ref.RasterCount + 1):
        rb, ob = ref.GetRasterBand(b), other.GetRasterBand(b)
        rnd, ond = rb.GetNoDataValue(), ob.GetNoDataValue()
        for y in range(0, ref.RasterYSize, rows):
            h = min(rows, ref.RasterYSize - y)
            r = rb.ReadAsArray(0, y, ref.RasterXSize, h).astype(np.float64)
            o = ob.ReadAsArray(0, y, ref.RasterXSize, h).astype(np.float64)
            rmiss = np.isnan(r) if rnd is None else (np.isnan(r) | (r == rnd))
            omiss = np.isnan(o) if ond is None else (np.isnan(o) | (o == ond))
            both = ~rmiss & ~omiss
            diff = np.abs(r[both] - o[both])
            cells += r.size
            differing += int(np.count_nonzero(diff > tol)) + int(np.count_nonzero(rmiss != omiss))
            if diff.size:
                largest = max(largest, float(diff.max()))
                total += float(diff.sum())
    print(f"{cells} cells, {differing} differ, largest difference {largest:.3g}, mean difference {total / cells:.3g}")


if __name__ == "__main__":
    if len(sys.argv) not in (3, 4):
        sys.exit(__doc__)
    main(*sys.argv[1:])
