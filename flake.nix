{
  description = "hashvive: a Bitcoin full node in Rust, monolithic or split into processes";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.11";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});

      # CMake drives the build (as everywhere else); the crates come from
      # Cargo.lock through importCargoLock, so there are no hashes to keep.
      hashvive = pkgs: { multiprocess ? true }:
        pkgs.stdenv.mkDerivation {
          pname = if multiprocess then "hashvive" else "hashvive-minimal";
          version = "0.1.0";
          src = self;

          cargoDeps = pkgs.rustPlatform.importCargoLock { lockFile = ./Cargo.lock; };

          nativeBuildInputs = [
            pkgs.cmake
            pkgs.pkg-config
            pkgs.cargo
            pkgs.rustc
            pkgs.rustPlatform.cargoSetupHook
            pkgs.python3
          ] ++ lib.optionals multiprocess [ pkgs.capnproto ];
          buildInputs = lib.optionals multiprocess [ pkgs.capnproto ];

          cmakeFlags = [
            (lib.cmakeBool "WITH_MULTIPROCESS" multiprocess)
            (lib.cmakeBool "CARGO_OFFLINE" true)
            (lib.cmakeBool "BUILD_GUI" false)
          ];

          # The unit tests and the functional suite against the binaries just built.
          doCheck = true;
          checkPhase = ''
            runHook preCheck
            ctest --output-on-failure -E 'rust-format|rust-clippy'
            runHook postCheck
          '';

          meta = {
            description = "A Bitcoin full node in Rust, monolithic or split into processes";
            license = lib.licenses.mit;
            mainProgram = "hashvived";
            platforms = lib.platforms.unix;
          };
        };

      # A check that runs one cargo command over the vendored sources.
      cargoCheck = pkgs: name: command:
        pkgs.stdenv.mkDerivation {
          pname = "hashvive-${name}";
          version = "0.1.0";
          src = self;
          cargoDeps = pkgs.rustPlatform.importCargoLock { lockFile = ./Cargo.lock; };
          nativeBuildInputs = [
            pkgs.cargo
            pkgs.rustc
            pkgs.clippy
            pkgs.rustfmt
            pkgs.pkg-config
            pkgs.capnproto
            pkgs.rustPlatform.cargoSetupHook
          ];
          buildPhase = ''
            runHook preBuild
            ${command}
            runHook postBuild
          '';
          installPhase = "touch $out";
        };

      app = pkg: name: {
        type = "app";
        program = "${pkg}/bin/${name}";
      };
    in
    {
      packages = forAllSystems (pkgs: {
        default = hashvive pkgs { };
        hashvive-minimal = hashvive pkgs { multiprocess = false; };
      });

      apps = forAllSystems (pkgs:
        let pkg = self.packages.${pkgs.stdenv.hostPlatform.system}.default;
        in {
          default = app pkg "hashvived";
          hashvived = app pkg "hashvived";
          hashvive-node = app pkg "hashvive-node";
          hashvive-cli = app pkg "hashvive-cli";
          hashvive-wallet = app pkg "hashvive-wallet";
        });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          packages = [
            pkgs.cargo
            pkgs.rustc
            pkgs.clippy
            pkgs.rustfmt
            pkgs.cmake
            pkgs.pkg-config
            pkgs.capnproto
            (pkgs.python3.withPackages (ps: [ ps.pycapnp ]))
          ];
        };
      });

      checks = forAllSystems (pkgs:
        let system = pkgs.stdenv.hostPlatform.system;
        in {
          package = self.packages.${system}.default;
          minimal = self.packages.${system}.hashvive-minimal;
          clippy = cargoCheck pkgs "clippy"
            "cargo clippy --offline --workspace --all-targets --features hashvive/multiprocess,hashvive/wallet -- -D warnings";
          rustfmt = cargoCheck pkgs "rustfmt" "cargo fmt --all -- --check";
        });

      formatter = forAllSystems (pkgs: pkgs.nixfmt-rfc-style);

      overlays.default = final: prev: {
        hashvive = hashvive final { };
        hashvive-minimal = hashvive final { multiprocess = false; };
      };
    };
}
