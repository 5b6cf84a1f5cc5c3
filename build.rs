// The migrations are embedded in the binary: rebuild when one changes.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
