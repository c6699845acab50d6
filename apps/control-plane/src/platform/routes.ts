/** Prefix of the versioned tenant and admin API. Operational routes live at the root. */
export const API_V1 = 'api/v1';
