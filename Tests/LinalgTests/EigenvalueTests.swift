import Foundation
import Linalg
import Testing

/// `sgeev` through `Matrix.eigenvalues` and `spectralRadius`, on matrices with known spectra.
struct EigenvalueTests {
    func sortedByReal(_ e: [(real: Float, imaginary: Float)]) -> [(real: Float, imaginary: Float)] {
        e.sorted { ($0.real, $0.imaginary) < ($1.real, $1.imaginary) }
    }

    @Test func diagonalHasItsEntries() throws {
        let e = sortedByReal(try Matrix(rows: [[3, 0, 0], [0, -5, 0], [0, 0, 0.5]]).eigenvalues())
        #expect(e.map(\.real) == [-5, 0.5, 3] && e.allSatisfy { $0.imaginary == 0 })
        #expect(try Matrix(rows: [[3, 0, 0], [0, -5, 0], [0, 0, 0.5]]).spectralRadius() == 5)
    }

    @Test func aRotationHasUnitComplexPair() throws {
        let angle: Float = 0.7
        let r = Matrix(rows: [[cos(angle), -sin(angle)], [sin(angle), cos(angle)]])
        let e = sortedByReal(try r.eigenvalues())
        #expect(e.count == 2)
        for (value, sign) in zip(e, [Float(-1), 1]) {
            #expect(abs(value.real - cos(angle)) < 1e-6 && abs(value.imaginary - sign * sin(angle)) < 1e-6, "\(e)")
        }
        #expect(abs(try r.spectralRadius() - 1) < 1e-6)
        // Scaled by 0.9: every power shrinks by 0.9, and so does the radius.
        #expect(abs(try (0.9 * r).spectralRadius() - 0.9) < 1e-6)
    }

    /// A = U diag(s) Vᵀ with orthogonal U, V: the singular values are s; with V = U (a
    /// symmetric positive definite matrix) the eigenvalues are s too.
    @Test func fromAKnownDecomposition() throws {
        var rng = SeededRandom(seed: 81)
        let u = Matrix.orthogonal(6, using: &rng), v = Matrix.orthogonal(6, using: &rng)
        let s: [Float] = [4, 2.5, 1, 0.5, 0.25, 0.1]
        var d = Matrix.zeros(6, 6)
        for i in 0..<6 { d[i, i] = s[i] }
        let a = u.matmul(d).matmul(v.transposed())
        let singular = try a.singularValues()
        #expect(zip(singular, s).allSatisfy { abs($0 - $1) < 1e-5 * 4 }, "\(singular)")
        let symmetric = u.matmul(d).matmul(u.transposed())
        let e = try symmetric.eigenvalues().map(\.real).sorted(by: >)
        #expect(zip(e, s).allSatisfy { abs($0 - $1) < 1e-5 * 4 }, "\(e)")
        #expect(abs(try symmetric.spectralRadius() - 4) < 1e-5 * 4)
    }

    @Test func errorsAndEdges() throws {
        #expect(throws: LinalgError.self) { _ = try Matrix(rows: [[1, .nan], [0, 1]]).eigenvalues() }
        #expect(throws: LinalgError.self) { _ = try Matrix(rows: [[.infinity]]).spectralRadius() }
        #expect(try Matrix.zeros(0, 0).eigenvalues().isEmpty)
        #expect(try Matrix.zeros(0, 0).spectralRadius() == 0)
        // |λ| of a Float eigenvalue whose square overflows Float is still finite.
        #expect(try Matrix(rows: [[1e20, 0], [0, 1]]).spectralRadius() == 1e20)
        // A defective (Jordan) block: eigenvalue 2 twice.
        let e = try Matrix(rows: [[2, 1], [0, 2]]).eigenvalues()
        #expect(e.allSatisfy { abs($0.real - 2) < 1e-6 && $0.imaginary == 0 })
    }
}
