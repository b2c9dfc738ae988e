// Box2D 2.3's arithmetic where it differs from Debian's libbox2d 2.4.1, for
// the LunarLander world (lunar_lander_world.h).
//
// Gymnasium's LunarLander runs on pybox2d 2.3.10 (Box2D 2.3). Box2D 2.4
// changed, besides the revolute joint (revolute23.h):
//   - polygon mass and centroid: 2.3 forms its triangles from the mean of the
//     vertices (mass) and from the origin (centroid), 2.4 from the first
//     vertex; the results differ in their last bits, which is enough for
//     every later step to differ;
//   - the edge-polygon manifold: 2.3's EPCollider (edge normal range, polygon
//     axes within it, hysteresis between the two, clipping) was replaced by
//     another algorithm with other tolerances and other contact points.
// These functions compute what 2.3 computes, in 2.3's operation order, for
// edges without ghost vertices (the only kind LunarLander's terrain has).
#pragma once

#include <box2d/box2d.h>

namespace arena::box2d23 {

// b2PolygonShape::ComputeMass.
b2MassData polygon_mass(const b2PolygonShape& shape, float density);

// A convex polygon as b2PolygonShape::Set makes it (the same hull and
// normals in 2.3 and 2.4) with 2.3's centroid.
b2PolygonShape polygon(const b2Vec2* vertices, int count);

// b2CollideEdgeAndPolygon for an edge without ghost vertices.
void collide_edge_and_polygon(b2Manifold* manifold, const b2EdgeShape& edge, const b2Transform& xfA,
                              const b2PolygonShape& polygon, const b2Transform& xfB);

}  // namespace arena::box2d23
