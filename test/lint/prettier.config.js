// Prettier: the code's formatting (`npm run format`; `npm run lint` checks it).
export default { printWidth: 140, trailingComma: "all" };
