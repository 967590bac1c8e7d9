// Computes testdata/vector.json, the known-answer vector of
// TestKnownAnswerVector, with ethers v6, independently of the Go code.
//
// How it was run (development time only; the Go tests only read the JSON):
//
//	mkdir /tmp/kat && cd /tmp/kat && npm init -y && npm install ethers@6.17.0
//	cp <repo>/fractalid/credentials/testdata/make-vector.cjs . && node make-vector.cjs > <repo>/fractalid/credentials/testdata/vector.json
//
// Node v20.20.2, ethers 6.17.0. Signatures are deterministic (RFC 6979,
// low s), so running it again gives the same file.
const { ethers } = require("ethers");

// Fixed test keys: Keccak-256 of a label. They hold nothing and are known to everyone.
const walletKey = ethers.id("kyc-go credentials known-answer wallet key");
const fractalKey = ethers.id("kyc-go credentials known-answer Fractal signing key");
const wallet = new ethers.Wallet(walletKey);
const fractal = new ethers.Wallet(fractalKey);

// The example message of the Credentials API documentation, byte for byte.
const message =
  "I authorize Defistarter (dc3aa1910acbb7ff4d22c07e43a6926adc3a81305a9355a304410048c9a91afd) to get a proof from Fractal that:\n" +
  "- I passed KYC level plus+liveness\n" +
  "- I am not a citizen of the following countries: Germany (DE)\n" +
  "- I am not a resident of the following countries: Canada (CA), Germany (DE), United States of America (US)\n" +
  "I also allow access to my data that was used to pass this level.";

// The fields of the documentation's example 200 response (address replaced by the test wallet's).
const fractalId = "0x02f1da55bc94926ef44faa6153cc9ad4f1e0f5ec3844b7c12ef96dea88657fdd";
const approvedAt = 1654693829;
const validUntil = 1656080869;
const credential = "level:plus+liveness;citizenship_not:de;residency_not:de";

// What the proof signs (trustfractal/credentials-api-verifiers, contracts/Credential.sol):
// keccak256("<lower-case sender>;<fractalId>;<approvedAt>;<validUntil>;<credential>"),
// then personal_sign over those 32 bytes.
const proofMessage = `${wallet.address.toLowerCase()};${fractalId};${approvedAt};${validUntil};${credential}`;
const proofHash = ethers.keccak256(ethers.toUtf8Bytes(proofMessage));

(async () => {
  const walletSignature = await wallet.signMessage(message);
  const proof = await fractal.signMessage(ethers.getBytes(proofHash));
  // Self-checks with ethers' own recovery.
  if (ethers.verifyMessage(message, walletSignature) !== wallet.address) throw new Error("wallet recovery");
  if (ethers.verifyMessage(ethers.getBytes(proofHash), proof) !== fractal.address) throw new Error("proof recovery");
  const out = {
    generator: "make-vector.cjs with ethers " + ethers.version + " on Node " + process.version,
    walletPrivateKey: walletKey,
    walletAddress: wallet.address,
    message,
    messageDigest: ethers.hashMessage(message),
    walletSignature,
    fractalPrivateKey: fractalKey,
    fractalAddress: fractal.address,
    fractalId,
    approvedAt,
    validUntil,
    credential,
    proofMessage,
    proofHash,
    proofDigest: ethers.hashMessage(ethers.getBytes(proofHash)),
    proof,
  };
  process.stdout.write(JSON.stringify(out, null, 2) + "\n");
})();
