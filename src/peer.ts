/**
 * Loads a peer dependency, turning "not installed" into an error that says what to install;
 * any other failure to load it is rethrown as it is.
 */
export async function loadPeer<T> (name: string, load: () => Promise<T>, neededFor: string): Promise<T> {
  try {
    return await load()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !(err as Error).message.includes(`'${name}'`)) throw err
    throw new Error(`pushgateway-middleware needs the peer dependency ${name} for ${neededFor}, and it is not installed: npm install ${name}`, { cause: err })
  }
}
