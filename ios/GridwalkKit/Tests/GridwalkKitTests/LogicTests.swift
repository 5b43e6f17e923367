import Foundation
import XCTest
@testable import GridwalkKit

/// The package's plain logic, mirroring the Android module's JVM tests
/// (android/core-logic): run with `xcodebuild test` on a simulator (see ios/README.md).
final class LogicTests: XCTestCase {
    func testSyncRetriesOnlyPassingProblems() {
        let all: [GridwalkError] = [
            .InvalidInput(reason: "x"), .NotFound(kind: "site", id: "S"), .IncompleteInspection(unanswered: [], missingPhotos: []),
            .ActionRefused(rule: .textRequired, reason: "x"), .NoProfile, .Conflict(reason: "x"), .NotEnrolled,
            .Unauthorised(reason: "x"), .Network(reason: "x"), .Storage(reason: "x"), .Corrupt(reason: "x"),
            .ServerMalformed(reason: "x"), .Internal(reason: "x"), .WrongKey(path: "x"),
            .SignerUnavailable(reason: "x"), .LowStorage(freeBytes: 1, floorBytes: 2), .PhotoNotHeld(sha256: "x"),
        ]
        var retried = 0
        for error in all {
            switch decideAfter(error) {
            case .retryLater: retried += 1
            case let .stop(_, reenrol):
                if case .NotEnrolled = error { XCTAssertTrue(reenrol) }
                if case .Storage = error { XCTAssertFalse(reenrol) }
            }
        }
        XCTAssertEqual(retried, 2)
    }

    func testPhotoTilesLoadWhatIsHereAndBadgeWhatIsPending() {
        let sha = String(repeating: "ab", count: 32)
        XCTAssertEqual(photoTile(PhotoView(sha256: sha, state: .held), size: .full),
                       PhotoTile(sha256: sha, load: .full, pending: false))
        XCTAssertEqual(photoTile(PhotoView(sha256: sha, state: .held), size: .thumbnail).load, .thumbnail)
        XCTAssertEqual(photoTile(PhotoView(sha256: sha, state: .thumbnailOnly), size: .full),
                       PhotoTile(sha256: sha, load: .thumbnail, pending: true))
        XCTAssertEqual(photoTile(PhotoView(sha256: sha, state: .notHeld), size: .thumbnail),
                       PhotoTile(sha256: sha, load: nil, pending: true))
    }

    func testCapturesWaitOnDiskUntilRemoved() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString)
        let captures = PendingCaptures(root: root)
        let owner = CaptureOwner.answer(inspectionId: "i/1", item: "F~1")
        let a = try captures.reserve(owner)
        try Data("a".utf8).write(to: a)
        let b = try captures.reserve(owner)
        try Data("b".utf8).write(to: b)
        XCTAssertEqual(PendingCaptures(root: root).pending(owner), [a, b])
        let outsider = root.appendingPathComponent("outsider.jpg")
        try Data("x".utf8).write(to: outsider)
        captures.remove(owner, [a, outsider])
        XCTAssertTrue(FileManager.default.fileExists(atPath: outsider.path))
        XCTAssertEqual(captures.pending(owner), [b])
        captures.discardAll(owner)
        XCTAssertEqual(captures.pending(owner), [])
    }

    func testARuleNamedByTheServerIsRecognised() {
        XCTAssertEqual(allRules.count, 23)
        XCTAssertEqual(ruleName(.closeAfterVerify), "close_after_verify")
        guard case let .rule(rule, _) = rejection(code: "invalid", reason: "refused by rule close_after_verify") else {
            return XCTFail("rule not recognised")
        }
        XCTAssertEqual(rule, .closeAfterVerify)
        guard case .badSignature = rejection(code: "bad_signature", reason: "x") else { return XCTFail("signature") }
    }

    func testOpenProblemsSayWhatToDo() {
        XCTAssertEqual(openProblem(GridwalkError.Storage(reason: "schema version 9 is newer than this build supports")), .updateApp)
        XCTAssertEqual(openProblem(GridwalkError.Storage(reason: "disk full")), .freeSpace)
        XCTAssertEqual(openProblem(GridwalkError.Corrupt(reason: "not a database")), .damaged)
        XCTAssertEqual(openProblem(SignerError.Unavailable(reason: "locked")), .keychain)
    }
}
