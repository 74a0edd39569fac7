import { GraphQLError, GraphQLSchema, buildSchema, execute, parse } from 'graphql';
import { isVariableValueError, withoutVariableValue } from '../../src/errors';

/** graphql-js quotes a refused variable's value; what clients see keeps the variable, the path and the reason only. */
const schema: GraphQLSchema = buildSchema(`
  input In { password: String! name: String! tags: [Int!] }
  type Query { f(input: In!, n: Int): Boolean }
`);
const refuse = (variables: Record<string, unknown>) =>
  (execute({ schema, document: parse('query($input: In!, $n: Int) { f(input: $input, n: $n) }'), variableValues: variables }) as { errors: GraphQLError[] }).errors[0];

const PASSWORD = 'hunter2-hunter2';

test.each([
  [
    'a missing field: the whole object is quoted',
    { input: { password: PASSWORD } },
    PASSWORD,
    'Variable "$input" got an invalid value; Field "name" of required type "String!" was not provided.',
  ],
  [
    'an unknown field: the whole object too',
    { input: { password: PASSWORD, name: 'n', nick: 'x' } },
    PASSWORD,
    'Variable "$input" got an invalid value; Field "nick" is not defined by type "In".',
  ],
  [
    'a wrong list element: only the element, which the reason names anyway',
    { input: { password: PASSWORD, name: 'n', tags: [1, 'two'] } },
    '"two" at',
    'Variable "$input" got an invalid value at "input.tags[1]"; Int cannot represent non-integer value: "two"',
  ],
])('%s', (_case, variables, quoted, expected) => {
  const error = refuse(variables);
  expect(isVariableValueError(error)).toBe(true);
  expect(error.message).toContain(quoted);
  expect(withoutVariableValue(error.message, error)).toBe(expected);
});

test('anything else is left alone', () => {
  const other = new GraphQLError('Variable "$x" got invalid value "a"; but no original error says why');
  expect(withoutVariableValue(other.message, other)).toBe(other.message);
  expect(isVariableValueError(other)).toBe(false);
  expect(withoutVariableValue('Cannot query field "x" on type "Query".', null)).toBe('Cannot query field "x" on type "Query".');
});
