using System.Runtime.CompilerServices;

// The tokenizer tests check internal parts (split patterns, NFC) against independent oracles.
[assembly: InternalsVisibleTo("Athanor.Core.Tests")]
