#include "envs/box2d/box2d23.h"

#include <cfloat>

// Every float expression keeps Box2D 2.3's operand order (the library is
// built with -ffp-contract=off): the point is to round as 2.3 rounds.

namespace arena::box2d23 {

b2MassData polygon_mass(const b2PolygonShape& shape, float density) {
  const int n = shape.m_count;
  // The triangles' common corner: the mean of the vertices.
  b2Vec2 s(0.0f, 0.0f);
  for (int i = 0; i < n; ++i) s += shape.m_vertices[i];
  s *= 1.0f / static_cast<float>(n);
  b2Vec2 center(0.0f, 0.0f);
  float area = 0.0f;
  float inertia = 0.0f;
  const float k_inv3 = 1.0f / 3.0f;
  for (int i = 0; i < n; ++i) {
    const b2Vec2 e1 = shape.m_vertices[i] - s;
    const b2Vec2 e2 = i + 1 < n ? shape.m_vertices[i + 1] - s : shape.m_vertices[0] - s;
    const float D = b2Cross(e1, e2);
    const float triangle_area = 0.5f * D;
    area += triangle_area;
    center += triangle_area * k_inv3 * (e1 + e2);
    const float ex1 = e1.x, ey1 = e1.y, ex2 = e2.x, ey2 = e2.y;
    const float intx2 = ex1 * ex1 + ex2 * ex1 + ex2 * ex2;
    const float inty2 = ey1 * ey1 + ey2 * ey1 + ey2 * ey2;
    inertia += (0.25f * k_inv3 * D) * (intx2 + inty2);
  }
  b2MassData m;
  m.mass = density * area;
  center *= 1.0f / area;
  m.center = center + s;
  // Inertia about the origin: shifted from s to the centre, then to the origin.
  m.I = density * inertia;
  m.I += m.mass * (b2Dot(m.center, m.center) - b2Dot(center, center));
  return m;
}

b2PolygonShape polygon(const b2Vec2* vertices, int count) {
  b2PolygonShape shape;
  shape.Set(vertices, count);
  // 2.3's centroid: triangles fanned from the origin.
  const int n = shape.m_count;
  b2Vec2 c(0.0f, 0.0f);
  float area = 0.0f;
  const b2Vec2 p1(0.0f, 0.0f);
  const float inv3 = 1.0f / 3.0f;
  for (int i = 0; i < n; ++i) {
    const b2Vec2 p2 = shape.m_vertices[i];
    const b2Vec2 p3 = i + 1 < n ? shape.m_vertices[i + 1] : shape.m_vertices[0];
    const b2Vec2 e1 = p2 - p1;
    const b2Vec2 e2 = p3 - p1;
    const float D = b2Cross(e1, e2);
    const float triangle_area = 0.5f * D;
    area += triangle_area;
    c += triangle_area * inv3 * (p1 + p2 + p3);
  }
  c *= 1.0f / area;
  shape.m_centroid = c;
  return shape;
}

namespace {

// A candidate separating axis: the edge's normal or one of the polygon's.
struct Axis {
  enum Type { kUnknown, kEdgeA, kEdgeB } type = kUnknown;
  int index = -1;
  float separation = 0;
};

b2ContactID feature(int index_a, int index_b, b2ContactFeature::Type type_a, b2ContactFeature::Type type_b) {
  b2ContactID id;
  id.cf.indexA = static_cast<uint8>(index_a);
  id.cf.indexB = static_cast<uint8>(index_b);
  id.cf.typeA = static_cast<uint8>(type_a);
  id.cf.typeB = static_cast<uint8>(type_b);
  return id;
}

}  // namespace

// 2.3's EPCollider for an isolated edge: the edge's admissible normals are
// its own normal on the polygon's side; the polygon's axes count only within
// b2_angularSlop of that; the polygon's axis must beat the edge's by the
// hysteresis 0.98 x + 0.001 to be the reference face; the incident face is
// clipped to the reference face's sides.
void collide_edge_and_polygon(b2Manifold* manifold, const b2EdgeShape& edge, const b2Transform& xfA,
                              const b2PolygonShape& polygon, const b2Transform& xfB) {
  const b2Transform xf = b2MulT(xfA, xfB);
  const b2Vec2 centroid_b = b2Mul(xf, polygon.m_centroid);
  const b2Vec2 v1 = edge.m_vertex1, v2 = edge.m_vertex2;
  b2Vec2 edge1 = v2 - v1;
  edge1.Normalize();
  const b2Vec2 normal1(edge1.y, -edge1.x);
  const float offset1 = b2Dot(normal1, centroid_b - v1);
  const bool front = offset1 >= 0.0f;
  const b2Vec2 normal = front ? normal1 : -normal1;
  const b2Vec2 lower_limit = front ? -normal1 : normal1;
  const b2Vec2 upper_limit = lower_limit;

  // The polygon in the edge's frame.
  const int count = polygon.m_count;
  b2Vec2 vertices[b2_maxPolygonVertices], normals[b2_maxPolygonVertices];
  for (int i = 0; i < count; ++i) {
    vertices[i] = b2Mul(xf, polygon.m_vertices[i]);
    normals[i] = b2Mul(xf.q, polygon.m_normals[i]);
  }
  const float radius = polygon.m_radius + edge.m_radius;
  manifold->pointCount = 0;

  Axis edge_axis;
  edge_axis.type = Axis::kEdgeA;
  edge_axis.index = front ? 0 : 1;
  edge_axis.separation = FLT_MAX;
  for (int i = 0; i < count; ++i) {
    const float s = b2Dot(normal, vertices[i] - v1);
    if (s < edge_axis.separation) edge_axis.separation = s;
  }
  if (edge_axis.separation > radius) return;

  Axis polygon_axis;
  polygon_axis.separation = -FLT_MAX;
  const b2Vec2 perp(-normal.y, normal.x);
  for (int i = 0; i < count; ++i) {
    const b2Vec2 n = -normals[i];
    const float s1 = b2Dot(n, vertices[i] - v1);
    const float s2 = b2Dot(n, vertices[i] - v2);
    const float s = b2Min(s1, s2);
    if (s > radius) {  // a separating axis: no collision
      polygon_axis.type = Axis::kEdgeB;
      polygon_axis.index = i;
      polygon_axis.separation = s;
      break;
    }
    // Only normals within the edge's admissible range.
    const b2Vec2 limit = b2Dot(n, perp) >= 0.0f ? upper_limit : lower_limit;
    if (b2Dot(n - limit, normal) < -b2_angularSlop) continue;
    if (s > polygon_axis.separation) {
      polygon_axis.type = Axis::kEdgeB;
      polygon_axis.index = i;
      polygon_axis.separation = s;
    }
  }
  if (polygon_axis.type != Axis::kUnknown && polygon_axis.separation > radius) return;

  const float k_relative_tol = 0.98f;
  const float k_absolute_tol = 0.001f;
  const Axis primary =
      polygon_axis.type != Axis::kUnknown &&
              polygon_axis.separation > k_relative_tol * edge_axis.separation + k_absolute_tol
          ? polygon_axis
          : edge_axis;

  b2ClipVertex incident[2];
  int ref_i1 = 0, ref_i2 = 0;
  b2Vec2 ref_v1, ref_v2, ref_normal;
  if (primary.type == Axis::kEdgeA) {
    manifold->type = b2Manifold::e_faceA;
    // The polygon's face most anti-parallel to the edge normal.
    int best = 0;
    float best_value = b2Dot(normal, normals[0]);
    for (int i = 1; i < count; ++i) {
      const float value = b2Dot(normal, normals[i]);
      if (value < best_value) {
        best_value = value;
        best = i;
      }
    }
    const int i1 = best;
    const int i2 = i1 + 1 < count ? i1 + 1 : 0;
    incident[0].v = vertices[i1];
    incident[0].id = feature(0, i1, b2ContactFeature::e_face, b2ContactFeature::e_vertex);
    incident[1].v = vertices[i2];
    incident[1].id = feature(0, i2, b2ContactFeature::e_face, b2ContactFeature::e_vertex);
    if (front) {
      ref_i1 = 0;
      ref_i2 = 1;
      ref_v1 = v1;
      ref_v2 = v2;
      ref_normal = normal1;
    } else {
      ref_i1 = 1;
      ref_i2 = 0;
      ref_v1 = v2;
      ref_v2 = v1;
      ref_normal = -normal1;
    }
  } else {
    manifold->type = b2Manifold::e_faceB;
    incident[0].v = v1;
    incident[0].id = feature(0, primary.index, b2ContactFeature::e_vertex, b2ContactFeature::e_face);
    incident[1].v = v2;
    incident[1].id = feature(0, primary.index, b2ContactFeature::e_vertex, b2ContactFeature::e_face);
    ref_i1 = primary.index;
    ref_i2 = ref_i1 + 1 < count ? ref_i1 + 1 : 0;
    ref_v1 = vertices[ref_i1];
    ref_v2 = vertices[ref_i2];
    ref_normal = normals[ref_i1];
  }
  b2Vec2 side_normal1;
  side_normal1.Set(ref_normal.y, -ref_normal.x);
  const b2Vec2 side_normal2 = -side_normal1;
  const float side_offset1 = b2Dot(side_normal1, ref_v1);
  const float side_offset2 = b2Dot(side_normal2, ref_v2);

  // Clip the incident face to the reference face's two sides.
  b2ClipVertex clip1[2], clip2[2];
  if (b2ClipSegmentToLine(clip1, incident, side_normal1, side_offset1, ref_i1) < b2_maxManifoldPoints) return;
  if (b2ClipSegmentToLine(clip2, clip1, side_normal2, side_offset2, ref_i2) < b2_maxManifoldPoints) return;

  if (primary.type == Axis::kEdgeA) {
    manifold->localNormal = ref_normal;
    manifold->localPoint = ref_v1;
  } else {
    manifold->localNormal = polygon.m_normals[ref_i1];
    manifold->localPoint = polygon.m_vertices[ref_i1];
  }
  int point_count = 0;
  for (int i = 0; i < b2_maxManifoldPoints; ++i) {
    const float separation = b2Dot(ref_normal, clip2[i].v - ref_v1);
    if (separation > radius) continue;
    b2ManifoldPoint* cp = manifold->points + point_count;
    if (primary.type == Axis::kEdgeA) {
      cp->localPoint = b2MulT(xf, clip2[i].v);
      cp->id = clip2[i].id;
    } else {
      cp->localPoint = clip2[i].v;
      cp->id.cf.typeA = clip2[i].id.cf.typeB;
      cp->id.cf.typeB = clip2[i].id.cf.typeA;
      cp->id.cf.indexA = clip2[i].id.cf.indexB;
      cp->id.cf.indexB = clip2[i].id.cf.indexA;
    }
    ++point_count;
  }
  manifold->pointCount = point_count;
}

}  // namespace arena::box2d23
