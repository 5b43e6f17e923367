import Foundation
import ImageIO
import UniformTypeIdentifiers

/// Camera output as a JPEG file for the core. The core decodes JPEG and PNG only, and
/// iPhones capture HEIC by default, so every photo is re-encoded here; the orientation
/// and capture metadata travel in the file's properties and the core applies them.
enum JPEGFile {
    enum Failure: LocalizedError {
        case unreadable, unwritable
        var errorDescription: String? {
            self == .unreadable ? localized("photo_unreadable") : localized("photo_unwritable")
        }
    }

    /// Writes `image` with `properties` (EXIF, orientation) to a new temporary JPEG.
    static func write(_ image: CGImage, properties: [CFString: Any]) throws -> URL {
        let url = try newURL()
        guard let destination = CGImageDestinationCreateWithURL(url as CFURL, UTType.jpeg.identifier as CFString, 1, nil)
        else { throw Failure.unwritable }
        var options = properties
        options[kCGImageDestinationLossyCompressionQuality] = 0.92
        CGImageDestinationAddImage(destination, image, options as CFDictionary)
        guard CGImageDestinationFinalize(destination) else { throw Failure.unwritable }
        return url
    }

    /// Converts any image file ImageIO reads (HEIC included) to a temporary JPEG.
    static func convert(_ source: URL) throws -> URL {
        guard let input = CGImageSourceCreateWithURL(source as CFURL, nil),
              let image = CGImageSourceCreateImageAtIndex(input, 0, nil)
        else { throw Failure.unreadable }
        let properties = CGImageSourceCopyPropertiesAtIndex(input, 0, nil) as? [CFString: Any] ?? [:]
        return try write(image, properties: properties)
    }

    /// Deletes camera files once the core has its own copy, or when abandoned; never before.
    static func discard(_ paths: [String]) {
        paths.forEach { try? FileManager.default.removeItem(atPath: $0) }
    }

    private static func newURL() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("camera", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder.appendingPathComponent(UUID().uuidString).appendingPathExtension("jpg")
    }
}
