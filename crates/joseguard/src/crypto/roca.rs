//! The ROCA fingerprint (CVE-2017-15361; Nemec, Sýs, Švenda, Klinec, Matyáš, CCS 2017): RSA
//! moduli made by Infineon's RSALib have primes of the form `k·M + (65537^a mod M)`, so the
//! modulus lies, modulo each small prime `p` of `M`, in the subgroup that 65537 generates
//! mod `p`. A random modulus does so for all 38 primes below with negligible probability; a
//! RSALib modulus always does, and can be factored. This is the published detection test (the
//! one Tink runs), plain arithmetic on the modulus: no cryptographic primitive.

/// The primes of the fingerprint.
const PRIMES: [u32; 38] = [
    3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73, 79, 83, 89, 97,
    101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167,
];

/// `n` (big-endian) modulo `p`.
fn residue(n: &[u8], p: u32) -> u32 {
    n.iter().fold(0u32, |r, &b| (r * 256 + u32::from(b)) % p)
}

/// Whether `r` is a power of 65537 modulo `p`.
fn in_subgroup_of_65537(r: u32, p: u32) -> bool {
    let g = 65537 % p;
    let mut x = g;
    // The subgroup has at most p - 1 elements.
    for _ in 0..p {
        if x == r {
            return true;
        }
        x = x * g % p;
        if x == g {
            return false;
        }
    }
    false
}

/// True when the modulus `n` (big-endian) has the ROCA fingerprint.
pub(crate) fn has_roca_fingerprint(n: &[u8]) -> bool {
    PRIMES
        .iter()
        .all(|&p| in_subgroup_of_65537(residue(n, p), p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subgroups_are_those_of_the_paper() {
        // 65537 mod 3 = 2 generates {1, 2}; mod 7 = 3 generates all of {1..6}; mod 11 = 10
        // generates {1, 10} and mod 13 = 4 generates {1, 3, 4, 9, 10, 12}: the residues outside
        // are what makes the test discriminate.
        assert!((1..3).all(|r| in_subgroup_of_65537(r, 3)));
        assert!((1..7).all(|r| in_subgroup_of_65537(r, 7)));
        let eleven: Vec<u32> = (0..11).filter(|&r| in_subgroup_of_65537(r, 11)).collect();
        assert_eq!(eleven, [1, 10]);
        let thirteen: Vec<u32> = (0..13).filter(|&r| in_subgroup_of_65537(r, 13)).collect();
        assert_eq!(thirteen, [1, 3, 4, 9, 10, 12]);
        assert!(!in_subgroup_of_65537(0, 11));
    }
}
