// Package ifc reads building models from IFC STEP physical files
// (ISO 10303-21, schemas IFC2X3 and IFC4) and extracts what a site map
// needs: the spatial structure (project, site, buildings, storeys, spaces),
// the named products contained in it (doors, cameras, sensors, …) with
// their positions, and the georeferencing that turns model coordinates
// into WGS84 longitude/latitude.
//
// ParseSTEP is a general STEP tokenizer and parser; Parse builds a Model
// on top of it. Both treat their input as untrusted: the size is bounded,
// nesting is bounded, references, placement chains and the aggregation
// tree are checked for missing targets and cycles, and every error names
// the line it was found on. Neither panics nor loops on bad input.
//
// Georeferencing: an IfcMapConversion (IFC4), or its IFC2X3 property-set
// form ePSet_MapConversion + ePSet_ProjectedCRS, to a UTM projected CRS
// (EPSG:326xx, 258xx, 6707/6708) is used when present; otherwise the site's RefLatitude/RefLongitude is taken
// as the geographic position of the model's origin, with model metres
// offset east/north (rotated by the context's TrueNorth) on a local
// equirectangular approximation, exact enough at building scale.
package ifc
