// A static syntax check of PowerShell scripts (no PowerShell runs on these
// Linux machines): parses each file with tree-sitter-powershell's grammar
// (WebAssembly, through web-tree-sitter) and prints every ERROR or MISSING
// node as file:line:column. Exit 1 if any file has one.
//
// It checks syntax only, not names, parameters or behaviour. The grammar
// also rejects some valid PowerShell: a bare comma list as a command's
// argument (`Format-Table Node, Error`); write `-Property @('Node', 'Error')`.
// Usage: node check_powershell.cjs NODE_MODULES_DIR FILE...
const path = require('path');
const fs = require('fs');
const modules = process.argv[2];
// Resolved from DIR/node_modules, as a package (its "exports"), not as a folder.
const { Parser, Language } =
  require(require.resolve('web-tree-sitter', { paths: [path.dirname(modules)] }));
(async () => {
  await Parser.init();
  const lang = await Language.load(
    path.join(modules, 'tree-sitter-powershell', 'tree-sitter-powershell.wasm'));
  const parser = new Parser();
  parser.setLanguage(lang);
  let bad = 0;
  for (const file of process.argv.slice(3)) {
    const tree = parser.parse(fs.readFileSync(file, 'utf8'));
    let here = 0;
    const walk = (n) => {
      if (n.type === 'ERROR' || n.isMissing) {
        here++;
        const what = n.isMissing ? 'missing ' + n.type : 'syntax error';
        console.log(`${file}:${n.startPosition.row + 1}:${n.startPosition.column + 1}: ${what}: ` +
                    n.text.slice(0, 80).replace(/\n/g, ' '));
      }
      for (const c of n.children) walk(c);
    };
    walk(tree.rootNode);
    console.log(`${file}: ${here ? here + ' problem(s)' : 'parsed, no syntax errors'}`);
    bad += here;
  }
  process.exit(bad ? 1 : 0);
})();
