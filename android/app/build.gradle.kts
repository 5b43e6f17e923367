import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    alias(libs.plugins.android.application)
    alias(libs.plugins.kotlin.android)
    alias(libs.plugins.kotlin.compose)
}

// The Rust workspace is the repository root, one level above this Gradle project.
val repoRoot: File = rootProject.projectDir.parentFile

android {
    namespace = "org.gridwalk.app"
    compileSdk = 35
    // cargo-ndk needs an NDK; this is the one the README names and CI installs.
    ndkVersion = "27.2.12479018"

    defaultConfig {
        applicationId = "org.gridwalk.app"
        minSdk = 26
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The ABIs cargoNdk builds; an APK never claims one it has no library for.
        ndk { abiFilters += listOf("arm64-v8a", "armeabi-v7a", "x86_64") }
    }

    buildTypes {
        release {
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    buildFeatures { compose = true }

    // The uniffi-generated bindings are compiled straight from the repository, never
    // copied: scripts/generate-bindings rewrites them and a Rust test fails when stale.
    sourceSets["main"].kotlin.srcDir(repoRoot.resolve("bindings/generated/kotlin"))
    // The shell's logic: plain Kotlin with no android.* import (android/core-logic),
    // compiled into the app from where bindings/tests/android_logic.rs tests it on the JVM.
    sourceSets["main"].kotlin.srcDir(rootProject.projectDir.resolve("core-logic/src/main/kotlin"))
}

kotlin {
    compilerOptions { jvmTarget.set(JvmTarget.JVM_17) }
}

// Builds libgridwalk_ffi.so for each ABI into src/main/jniLibs, where AGP packages it.
// cargo is incremental, so an unchanged core costs a second; Gradle skips the task
// entirely when none of its inputs changed.
val cargoNdk by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds the gridwalk-ffi Rust library for Android with cargo-ndk."
    onlyIf("gridwalk.skipCargo is not set") {
        !providers.gradleProperty("gridwalk.skipCargo").map(String::toBoolean).getOrElse(false)
    }
    workingDir = rootProject.projectDir
    commandLine(
        "cargo", "ndk",
        "-t", "arm64-v8a", "-t", "armeabi-v7a", "-t", "x86_64",
        "-o", "app/src/main/jniLibs",
        "build", "--release", "-p", "gridwalk-ffi", "--features", "vendored-openssl",
    )
    inputs.files(
        fileTree(repoRoot) {
            include("Cargo.toml", "Cargo.lock", "core/**", "bindings/src/**", "bindings/Cargo.toml", "checklists/**")
            exclude("**/target/**")
        },
    )
    outputs.dir(layout.projectDirectory.dir("src/main/jniLibs"))
    // cargo-ndk finds the NDK through ANDROID_NDK_HOME; point it at the one AGP uses.
    doFirst { environment("ANDROID_NDK_HOME", android.ndkDirectory.absolutePath) }
}

tasks.named("preBuild") { dependsOn(cargoNdk) }
tasks.configureEach {
    if (name.startsWith("merge") && name.endsWith("JniLibFolders")) dependsOn(cargoNdk)
}

dependencies {
    implementation(libs.androidx.core.ktx)
    implementation(libs.androidx.activity.compose)
    implementation(libs.androidx.lifecycle.runtime.compose)
    implementation(libs.androidx.lifecycle.viewmodel.compose)
    implementation(libs.androidx.navigation.compose)

    implementation(platform(libs.compose.bom))
    implementation(libs.compose.ui)
    implementation(libs.compose.material3)
    implementation(libs.compose.ui.tooling.preview)
    debugImplementation(libs.compose.ui.tooling)

    implementation(libs.camerax.core)
    implementation(libs.camerax.camera2)
    implementation(libs.camerax.lifecycle)
    implementation(libs.camerax.view)

    implementation(libs.work.runtime.ktx)
    implementation(libs.kotlinx.coroutines.android)
    implementation(libs.mlkit.barcode.scanning)

    // "@aar": the Android build of JNA, with libjnidispatch.so per ABI. A version catalog
    // entry cannot carry the artifact type, hence the explicit coordinate.
    implementation("net.java.dev.jna:jna:${libs.versions.jna.get()}@aar")
}
