"""GIS test files made on the fly (GeoJSON, zipped Shapefile, GeoPackage): no binaries committed."""

from __future__ import annotations

import io
import json
import warnings
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pyproj
from shapely.geometry import Polygon, box
from shapely.geometry.base import BaseGeometry

from tests.factories import POINTS


def parcel(district: str = "dwk", size: float = 0.001) -> Polygon:
    """A small square parcel (about 90 m × 110 m for size 0.001) around a district's test point."""
    lon, lat = POINTS[district]
    return box(lon - size, lat - size, lon + size, lat + size)


def bowtie(district: str = "dwk") -> Polygon:
    """A self-intersecting ring (figure eight) around a district's test point."""
    lon, lat = POINTS[district]
    d = 0.001
    return Polygon([(lon - d, lat - d), (lon + d, lat + d), (lon + d, lat - d), (lon - d, lat + d)])


def frame(
    geometries: Sequence[BaseGeometry],
    *,
    codes: Sequence[str] | None = None,
    names: Sequence[str] | None = None,
    crs: Any = "EPSG:4326",
    extra: dict[str, Sequence[Any]] | None = None,
) -> gpd.GeoDataFrame:
    """A GeoDataFrame in lon/lat, reprojected to `crs` (None: no CRS at all)."""
    data: dict[str, Any] = {}
    if codes is not None:
        data["code"] = list(codes)
    if names is not None:
        data["name"] = list(names)
    data.update(extra or {})
    result = gpd.GeoDataFrame(data, geometry=list(geometries), crs="EPSG:4326")
    if crs is None:
        return result.set_crs(None, allow_override=True)
    return result.to_crs(crs)


def write_geojson(path: Path, data: gpd.GeoDataFrame, *, declare_crs: bool = True) -> Path:
    """GeoJSON; `declare_crs=False` writes RFC 7946 style without a `crs` member."""
    collection = json.loads(data.to_json(drop_id=True))
    collection.pop("crs", None)  # geopandas adds one for non-WGS84 data
    if declare_crs and data.crs is not None:
        code = data.crs.to_epsg()
        collection["crs"] = {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:EPSG::{code}"},
        }
    path.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    return path


def write_shapefile_zip(
    path: Path,
    data: gpd.GeoDataFrame,
    *,
    prj: str | bool | None = True,
    cpg: bool = True,
    encoding: str = "UTF-8",
    folder: str = "",
) -> Path:
    """A zipped shapefile; `prj`: True keeps GDAL's .prj, a string replaces it, False drops it."""
    workdir = path.parent / (path.stem + "_parts")
    workdir.mkdir()
    shp = workdir / "parcels.shp"
    data.to_file(shp, driver="ESRI Shapefile", engine="pyogrio", encoding=encoding)
    if isinstance(prj, str):
        (workdir / "parcels.prj").write_text(prj, encoding="ascii")
    elif not prj:
        (workdir / "parcels.prj").unlink(missing_ok=True)
    if not cpg:
        (workdir / "parcels.cpg").unlink(missing_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(workdir.iterdir()):
            archive.write(part, folder + part.name)
    return path


def write_gpkg(path: Path, data: gpd.GeoDataFrame, layer: str = "parcels") -> Path:
    """A GeoPackage layer (appending a second layer when the file exists)."""
    with warnings.catch_warnings():
        # Files without a CRS are exactly what some tests need.
        warnings.filterwarnings("ignore", "'crs' was not provided", UserWarning)
        data.to_file(path, layer=layer, driver="GPKG", engine="pyogrio")
    return path


def esri_prj(epsg: int) -> str:
    """The ESRI WKT (.prj as ArcGIS writes it) of an EPSG code."""
    return pyproj.CRS.from_epsg(epsg).to_wkt("WKT1_ESRI")


def zip_bytes(members: dict[str, bytes], *, symlinks: Sequence[str] = ()) -> bytes:
    """A zip built by hand (for hostile archives: paths, links, bombs)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if name in symlinks:
                info.external_attr = 0o120777 << 16
            archive.writestr(info, content)
    return buffer.getvalue()
