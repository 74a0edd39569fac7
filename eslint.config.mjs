// ESLint (flat config): the layering rules of docs/architecture.md, and a few
// correctness rules that the code already meets. Kept small on purpose: a rule lands only
// when the whole code base passes it.
import tseslint from 'typescript-eslint';

const HTTP_AND_ROOTS = ['**/server', '**/services', '**/main', '**/http/**', '**/gateway/**', '**/scripts/**'];

/** A no-restricted-imports entry: importing any of `group` from these files breaks a layer rule. */
const layer = (group, message) => ({ group, message });

/** Imports come first: no import after other code (import/first's rule, without the plugin). */
const importsFirst = {
  meta: { type: 'problem', schema: [], messages: { late: 'Import after other code: move it to the top of the file.' } },
  create(context) {
    return {
      Program(program) {
        let code = false;
        for (const node of program.body) {
          if (node.type === 'ImportDeclaration' || node.type === 'TSImportEqualsDeclaration') {
            if (code) context.report({ node, messageId: 'late' });
          } else if (!(node.type === 'ExpressionStatement' && node.directive)) code = true;
        }
      },
    };
  },
};

/** Two doc comments (`/** … *\/`) in a row before the same code: one of them is stale. */
const noDoubledDocComment = {
  meta: { type: 'problem', schema: [], messages: { doubled: 'Two doc comments in a row: merge them or drop the stale one.' } },
  create(context) {
    const source = context.sourceCode;
    return {
      Program() {
        const comments = source.getAllComments();
        for (let i = 1; i < comments.length; i++) {
          const [a, b] = [comments[i - 1], comments[i]];
          if (a.type !== 'Block' || b.type !== 'Block' || !a.value.startsWith('*') || !b.value.startsWith('*')) continue;
          const between = source.text.slice(a.range[1], b.range[0]);
          if (/^[ \t]*\r?\n?[ \t]*$/.test(between)) context.report({ loc: b.loc, messageId: 'doubled' });
        }
      },
    };
  },
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'src/db/migrations/**'] },
  {
    files: ['**/*.ts', '**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { parser: tseslint.parser, ecmaVersion: 2022, sourceType: 'module' },
    plugins: { '@typescript-eslint': tseslint.plugin, tokengate: { rules: { 'imports-first': importsFirst, 'no-doubled-doc-comment': noDoubledDocComment } } },
    linterOptions: { reportUnusedDisableDirectives: 'error' },
    rules: {
      'no-duplicate-imports': ['error', { allowSeparateTypeImports: true }],
      'tokengate/imports-first': 'error',
      'tokengate/no-doubled-doc-comment': 'error',
      'no-console': 'error',
      'no-debugger': 'error',
      'no-dupe-keys': 'error',
      'no-self-assign': 'error',
      'no-unreachable': 'error',
      'no-unsafe-finally': 'error',
      'no-cond-assign': 'error',
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  { files: ['**/*.ts'], rules: { '@typescript-eslint/no-require-imports': 'error' } },
  // Type-aware rules: only the cheap, high-value ones, on the shipped code.
  {
    files: ['src/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
  // Short functions on the shipped code: a longer one is split into named parts (not the tests, whose
  // describe blocks are lists, nor the console, whose components are markup).
  {
    files: ['src/**/*.ts'],
    rules: { 'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }] },
  },
  // Layers (docs/architecture.md, "Layers"): the kernel sits below the modules, verification above them.
  {
    files: ['src/auth/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            layer(
              ['**/modules/**', '**/verification/**', '**/db/**', '**/loaders/**', '**/authz/**', '**/context', ...HTTP_AND_ROOTS],
              'src/auth is the kernel: it imports only common/, errors and config (docs/architecture.md, "Layers").',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            layer(
              ['**/verification/**', ...HTTP_AND_ROOTS],
              'Modules sit below verification and the HTTP layer: take what you need from above as a constructor argument (docs/architecture.md, "Layers").',
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['src/common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        { patterns: [layer(['**/modules/**', '**/verification/**'], 'src/common sits below the modules (docs/architecture.md, "Layers").')] },
      ],
    },
  },
);
