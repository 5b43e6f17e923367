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

    /// Writes `image` with `properties` (EXIF, orientation) as a JPEG at `url` (a reserved
    /// pending capture: persistent until the core has ingested it).
    static func write(_ image: CGImage, properties: [CFString: Any], to url: URL) throws -> URL {
        guard let destination = CGImageDestinationCreateWithURL(url as CFURL, UTType.jpeg.identifier as CFString, 1, nil)
        else { throw Failure.unwritable }
        var options = properties
        options[kCGImageDestinationLossyCompressionQuality] = 0.92
        CGImageDestinationAddImage(destination, image, options as CFDictionary)
        guard CGImageDestinationFinalize(destination) else { throw Failure.unwritable }
        return url
    }
}
