// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "oauthprobe",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "oauthprobe", targets: ["oauthprobe"]),
        .library(name: "OAuthProbeKit", targets: ["OAuthProbeKit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.5.2"),
        .package(url: "https://github.com/vapor/jwt-kit", from: "5.8.0"),
    ],
    targets: [
        // libcurl: the only HTTP stack. Wrapped by Wire/ only.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .systemLibrary(
            name: "CLibXML2",
            pkgConfig: "libxml-2.0",
            providers: [.apt(["libxml2-dev"])]
        ),
        // libxml2 stays behind this C target: its headers clash with Foundation's ICU types.
        .target(
            name: "CXMLSupport",
            dependencies: ["CLibXML2"]
        ),
        .target(
            name: "OAuthProbeKit",
            dependencies: [
                "CCurl",
                "CXMLSupport",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "JWTKit", package: "jwt-kit"),
            ]
        ),
        .executableTarget(
            name: "oauthprobe",
            dependencies: [
                "OAuthProbeKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(
            name: "OAuthProbeKitTests",
            dependencies: ["OAuthProbeKit", .product(name: "JWTKit", package: "jwt-kit")]
        ),
    ]
)
