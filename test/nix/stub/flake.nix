# A stand-in for nixpkgs with just the attributes hashvive's flake uses, each
# a trivial derivation or function, so `nix flake check --no-build` can check
# the flake's structure, argument names and output shapes where nixpkgs
# cannot be fetched (test/build/nix.sh). Never lock the real flake to it.
{
  outputs = { self }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
      genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
      stub = system: name: derivation {
        inherit name system;
        builder = "/bin/sh";
        args = [ "-c" "echo stub > $out" ];
      };
      pkgsFor = system:
        let
          drv = stub system;
          # Only the attributes a derivation can take; the rest is checked by name.
          # Every argument is evaluated (but `src`, the flake itself), so a
          # misspelt package or a wrong argument fails the check.
          mkDerivation = args:
            assert builtins.deepSeq (removeAttrs args [ "src" ]) true;
            assert builtins.isString args.pname && builtins.isString args.version;
            assert builtins.isList (args.nativeBuildInputs or [ ]);
            assert builtins.all builtins.isString (args.cmakeFlags or [ ]);
            drv "${args.pname}-${args.version}" // { meta = args.meta or { }; };
        in
        {
          stdenv = { inherit mkDerivation; hostPlatform = { inherit system; }; };
          mkShell = { packages ? [ ], ... }: assert builtins.deepSeq packages true; drv "shell";
          rustPlatform = {
            importCargoLock = { lockFile }:
              assert builtins.pathExists lockFile;
              assert builtins.match ".*\\[\\[package]].*" (builtins.readFile lockFile) != null;
              drv "cargo-vendor";
            cargoSetupHook = drv "cargo-setup-hook";
          };
          python3 = drv "python3" // {
            withPackages = f: assert builtins.isList (f { pycapnp = drv "pycapnp"; }); drv "python3-env";
          };
          cmake = drv "cmake";
          pkg-config = drv "pkg-config";
          cargo = drv "cargo";
          rustc = drv "rustc";
          clippy = drv "clippy";
          rustfmt = drv "rustfmt";
          capnproto = drv "capnproto";
          nixfmt-rfc-style = drv "nixfmt";
        };
    in
    {
      lib = {
        inherit genAttrs;
        optionals = cond: list: if cond then list else [ ];
        cmakeBool = name: value: "-D${name}:BOOL=${if value then "TRUE" else "FALSE"}";
        licenses.mit = { spdxId = "MIT"; };
        platforms.unix = systems;
      };
      legacyPackages = genAttrs systems pkgsFor;
    };
}
