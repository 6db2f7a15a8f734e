export const greet = (greeting, name) => `${greeting}, ${name}!`
